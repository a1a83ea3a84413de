import type { Config } from './config.js';
import { createTokenVerifier, verifierOptionsFrom } from './auth/verifier.js';
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

// How often an instance that could not fetch the issuer's keys tries again.
const KEY_RETRY_MS = 5000;

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
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => log.warn('shutdown.step_failed', { error: String(error) }));
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

    const upstreams = createUpstreams({
      urls,
      timeoutMs: config.upstream.timeoutMs,
      timeoutsMs: config.upstream.timeoutsMs,
      maxConnections: config.upstream.maxConnections,
      resilience: {
        maxBodyBytes: config.upstream.maxBodyBytes,
        readRetries: config.upstream.readRetries,
        retryDelayMs: config.upstream.retryDelayMs,
        breakerFailureThreshold: config.upstream.breaker.failureThreshold,
        breakerWindowMs: config.upstream.breaker.windowMs,
        breakerResetMs: config.upstream.breaker.resetMs,
      },
      log,
    });
    cleanups.push(() => upstreams.close());
    const verifier = createTokenVerifier({ ...verifierOptionsFrom(config.auth, issuer), log });
    // Keys are fetched before the first request; until that succeeds the instance is not
    // ready, and (since a not-ready instance gets no traffic to trigger a fetch) retries
    // on its own.
    if (!(await verifier.prefetch())) log.warn('auth.jwks_prefetch_failed', { jwksUrl: issuer.jwksUrl });
    const keyRetry = setInterval(() => {
      if (verifier.ready()) clearInterval(keyRetry);
      else void verifier.prefetch();
    }, KEY_RETRY_MS);
    keyRetry.unref();
    cleanups.push(async () => clearInterval(keyRetry));
    let draining = false;
    const sandboxToken = devIssuer && !config.production ? await devIssuer.signPersona('alice', { ttlSeconds: 12 * 3600 }) : undefined;
    const bff = createBff({
      config,
      verifier,
      upstreams,
      log,
      sandboxToken,
      readiness: () => !draining && verifier.ready() && (upstreams.available?.() ?? true),
    });
    const url = await bff.listen(config.port, config.host);
    // The BFF goes first so in-flight requests can still reach the upstreams while draining.
    // Readiness turns false first and stays so for `shutdownDelayMs` while requests are still
    // served, so load balancers stop sending traffic before the listener closes.
    cleanups.push(async () => {
      draining = true;
      log.info('shutdown.draining', { delayMs: config.shutdownDelayMs });
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await bff.stop();
    });
    return { url, bff, upstreams, devIssuer, demo, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
