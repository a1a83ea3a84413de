import type { Config } from './config.js';
import { createTokenVerifier } from './auth/verifier.js';
import { createDevIssuer, DEV_KEY_FILE, type DevIssuer } from './demo/dev-issuer.js';
import { startDemoServices, type DemoServices } from './demo/services.js';
import type { Logger } from './log.js';
import { createBff, type Bff } from './server.js';
import { createUpstreams, type Upstreams } from './upstream/index.js';

/** A running BFF with whatever demo pieces it started, and one way to stop it all. */
export interface RunningApp {
  readonly url: string;
  readonly bff: Bff;
  readonly upstreams: Upstreams;
  /** Present when no issuer was configured (never in production). */
  readonly devIssuer?: DevIssuer;
  /** Present when no upstream URLs were configured (never in production). */
  readonly demo?: DemoServices;
  stop(): Promise<void>;
}

/** Options that are not configuration: where the dev key lives (tests use a fresh key). */
export interface StartOptions {
  readonly log: Logger;
  readonly devKeyFile?: string | null;
}

/**
 * Assembles the BFF from configuration: the demo issuer and demo upstreams when none are
 * configured (development only; `loadConfig` refuses that in production), then listens.
 */
export async function startApp(config: Config, options: StartOptions): Promise<RunningApp> {
  const { log } = options;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log.warn('shutdown.step_failed', { error: String(error) }));
  };
  try {
    let devIssuer: DevIssuer | undefined;
    let issuer: { issuer: string; audience: string; jwksUrl: string };
    if (config.auth.mode === 'demo') {
      devIssuer = await createDevIssuer({ keyFile: options.devKeyFile === undefined ? DEV_KEY_FILE : options.devKeyFile });
      const jwksUrl = await devIssuer.listen(0);
      cleanups.push(() => devIssuer!.close());
      issuer = { issuer: devIssuer.issuer, audience: devIssuer.audience, jwksUrl };
      log.info('demo.issuer_started', { jwksUrl, issuer: devIssuer.issuer });
    } else {
      issuer = config.auth;
    }

    let demo: DemoServices | undefined;
    let urls: { customers: string; billing: string; licenses: string };
    if (config.upstream.mode === 'demo') {
      demo = await startDemoServices({ scale: config.upstream.scale, latencyMs: config.upstream.latencyMs });
      cleanups.push(() => demo!.close());
      urls = demo.urls;
      log.info('demo.upstreams_started', { ...urls, scale: config.upstream.scale, latencyMs: config.upstream.latencyMs });
    } else {
      urls = config.upstream;
    }

    const upstreams = createUpstreams({ urls, timeoutMs: config.upstream.timeoutMs, maxConnections: config.upstream.maxConnections });
    cleanups.push(() => upstreams.close());
    const verifier = createTokenVerifier({
      ...issuer,
      algorithms: config.auth.algorithms,
      clockToleranceSeconds: config.auth.clockToleranceSeconds,
      requireAtJwt: config.auth.requireAtJwt,
      userIdClaim: config.auth.userIdClaim,
      customerIdClaim: config.auth.customerIdClaim,
      cacheSize: config.auth.tokenCacheSize,
      cacheTtlSeconds: config.auth.tokenCacheTtlSeconds,
      jwksCooldownSeconds: config.auth.jwksCooldownSeconds,
      jwksTimeoutMs: config.auth.jwksTimeoutMs,
    });
    const sandboxToken = devIssuer && !config.production ? await devIssuer.signPersona('alice', { ttlSeconds: 12 * 3600 }) : undefined;
    const bff = createBff({ config, verifier, upstreams, log, sandboxToken });
    const url = await bff.listen(config.port, config.host);
    // The BFF goes first so in-flight requests can still reach the upstreams while draining.
    cleanups.push(() => bff.stop());
    return { url, bff, upstreams, devIssuer, demo, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
