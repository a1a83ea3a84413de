import { randomUUID } from 'node:crypto';
import { type IssuerCoordinates, type KeyStatus, type TokenVerifier, createTokenVerifier } from './auth/verifier.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { createDevIssuer, DEV_KEY_FILE, type DevIssuer } from './demo/dev-issuer.js';
import { type DemoServices, startDemoServices } from './demo/services.js';
import { LANDING_TOKEN_TTL_SECONDS } from './landing-page.js';
import { MemoryCache } from './cache/cross-request.js';
import { Lifecycle } from './lifecycle.js';
import { createMemoryLimitStore } from './limits/limit-store.js';
import type { Logger } from './log.js';
import { type Bff, createBff } from './server.js';
import type { CallRecorder } from './upstream/http.js';
import { createUpstreams, type Upstreams } from './upstream/index.js';

/** A running BFF with whatever demo pieces it started, and one way to stop it all. */
export interface RunningApp {
  readonly url: string;
  readonly bff: Bff;
  readonly upstreams: Upstreams;
  readonly verifier: TokenVerifier & KeyStatus;
  readonly lifecycle: Lifecycle;
  /** Present when no issuer was configured (never in production). */
  readonly devIssuer?: DevIssuer;
  /** Present when no upstream URLs were configured (never in production). */
  readonly demo?: DemoServices;
  /** Readiness false, drain, then everything closes (see `Lifecycle.stop`). */
  stop(): Promise<void>;
}

// How often an instance that could not fetch the issuer's keys tries again.
const KEY_RETRY_MS = 5000;

/**
 * What is not configuration: collaborators the process provides (its logger, its clock) and
 * the seams tests use. `npm start` passes only `log`; the test stack passes the rest.
 */
export interface StartOptions {
  readonly log: Logger;
  /** Every timed decision runs on this clock (default: the system clock). */
  readonly clock?: Clock;
  /** Where the demo issuer keeps its key; `null`: a fresh key in memory (tests). */
  readonly devKeyFile?: string | null;
  /** Wraps the upstream clients the server uses (tests inject misbehaving upstreams). */
  readonly wrapUpstreams?: (upstreams: Upstreams) => Upstreams;
  /** Counts every upstream call (tests and benchmarks prove batching with it). */
  readonly recorder?: CallRecorder;
  /** Source of retry jitter (tests). */
  readonly random?: () => number;
}

/**
 * Assembles the BFF from configuration and listens: the demo issuer and demo upstreams when
 * none are configured (development only; `loadConfig` refuses that in production), token
 * verification, upstream pools, the GraphQL server, and the lifecycle that stops them all.
 */
export async function startApp(config: Config, options: StartOptions): Promise<RunningApp> {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  const lifecycle = new Lifecycle({ clock, log, shutdownDelayMs: config.shutdownDelayMs });
  try {
    let devIssuer: DevIssuer | undefined;
    let issuers: readonly IssuerCoordinates[];
    if (config.auth.mode === 'demo') {
      const started = await createDevIssuer({ keyFile: options.devKeyFile === undefined ? DEV_KEY_FILE : options.devKeyFile });
      const jwksUrl = await started.listen(0);
      lifecycle.onStop('demo issuer', () => started.close());
      issuers = [{ issuer: started.issuer, audiences: [started.audience], jwksUrl }];
      devIssuer = started;
      log.info('demo.issuer_started', { jwksUrl, issuer: started.issuer });
      // Only reachable through DEMO_ISSUER_WITH_REAL_UPSTREAMS=true (config.ts refuses it otherwise).
      if (config.upstream.mode === 'remote') log.warn('demo.issuer_guards_real_upstreams', { upstreams: config.upstream.urls });
    } else {
      issuers = config.auth.issuers;
    }

    let demo: DemoServices | undefined;
    let urls: { customers: string; billing: string; licenses: string };
    if (config.upstream.mode === 'demo') {
      const started = await startDemoServices({ scale: config.upstream.scale, latencyMs: config.upstream.latencyMs });
      lifecycle.onStop('demo upstreams', () => started.close());
      urls = started.urls;
      demo = started;
      log.info('demo.upstreams_started', { ...urls, scale: config.upstream.scale, latencyMs: config.upstream.latencyMs });
    } else {
      urls = config.upstream.urls;
    }

    const pools = createUpstreams(config.upstream, {
      urls,
      clock,
      log,
      ...(options.recorder ? { recorder: options.recorder } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    lifecycle.onStop('upstream pools', () => pools.close());
    const upstreams = options.wrapUpstreams ? options.wrapUpstreams(pools) : pools;
    lifecycle.requireReady('every upstream circuit is open', () => upstreams.available?.() ?? true);

    const verifier = createTokenVerifier(config.auth, issuers, { clock, log });
    lifecycle.requireReady('issuer keys not loaded', () => verifier.ready());
    // Keys (and, for issuers without a JWKS URL, their discovery documents) are fetched
    // before the first request; until that succeeds for every issuer the instance is not
    // ready, and (since a not-ready instance gets no traffic to trigger a fetch) retries
    // on its own.
    if (!(await verifier.prefetch())) log.warn('auth.jwks_prefetch_failed', { issuers: verifier.notReady() });
    let cancelRetry = () => {};
    const retryKeys = () => {
      cancelRetry = clock.schedule(KEY_RETRY_MS, () => {
        if (verifier.ready()) return;
        void verifier.prefetch().then(retryKeys);
      });
    };
    if (!verifier.ready()) retryKeys();
    lifecycle.onStop('key retries', async () => cancelRetry());

    // The landing page's token: minted per page load and short-lived, so a page left open (or
    // copied) stops working soon; the jti makes each one distinct even within a second.
    const issuerForPage = config.production ? undefined : devIssuer;
    const landingToken =
      issuerForPage && (() => issuerForPage.signPersona('alice', { ttlSeconds: LANDING_TOKEN_TTL_SECONDS, claims: { jti: randomUUID() } }));
    const bff = createBff({
      config,
      limitStore: createMemoryLimitStore({ clock }),
      ...(config.identityCache.ttlMs > 0 ? { cache: new MemoryCache({ clock, ...config.identityCache }) } : {}),
      verifier,
      upstreams,
      log,
      clock,
      ...(landingToken ? { landingToken } : {}),
      isReady: () => lifecycle.ready(),
    });
    // Registered last, so it runs first: the listener drains while the upstreams it needs are open.
    lifecycle.onStop('graphql server', () => bff.stop());
    const url = await bff.listen(config.port, config.host);
    lifecycle.markListening();
    return { url, bff, upstreams, verifier, lifecycle, devIssuer, demo, stop: () => lifecycle.stop() };
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
}
