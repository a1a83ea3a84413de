import { randomUUID } from 'node:crypto';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { type IssuerCoordinates, type KeyStatus, type TokenCacheStats, type TokenVerifier, createTokenVerifier } from './auth/verifier.js';
import { type CrossRequestCache, MemoryCache } from './cache/cross-request.js';
import { RedisCache } from './cache/redis-cache.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { createDevIssuer, DEV_KEY_FILE, type DevIssuer } from './demo/dev-issuer.js';
import { type DemoServices, startDemoServices } from './demo/services.js';
import { LANDING_TOKEN_TTL_SECONDS } from './landing-page.js';
import { Lifecycle } from './lifecycle.js';
import { createMemoryLimitStore, type LimitStore } from './limits/limit-store.js';
import { RedisLimitStore } from './limits/redis-limit-store.js';
import type { Logger } from './log.js';
import { licenseNotificationRoute } from './notifications.js';
import { Metrics } from './observability/metrics.js';
import { metricsRoute, type MetricsServer, startMetricsServer } from './observability/metrics-route.js';
import { upstreamObserver } from './observability/upstream.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { RedisConnection } from './redis.js';
import type { HttpRoute } from './http.js';
import { type Bff, createBff } from './server.js';
import type { CallRecorder } from './upstream/http.js';
import { createUpstreams, type Upstreams } from './upstream/index.js';
import { ExecutionWorker } from './execution/executor.js';

/** A running BFF with whatever demo pieces it started, and one way to stop it all. */
export interface RunningApp {
  readonly url: string;
  readonly bff: Bff;
  readonly upstreams: Upstreams;
  readonly verifier: TokenVerifier & KeyStatus & TokenCacheStats;
  readonly lifecycle: Lifecycle;
  /** The cross-request cache: shared through Redis when `REDIS_URL` is set, else this instance's memory. */
  readonly cache: CrossRequestCache;
  readonly metrics: Metrics;
  /** Present when tracing is configured (or a test exporter is given). */
  readonly tracing?: Tracing;
  /** Present when `REDIS_URL` is set. */
  readonly redis?: RedisConnection;
  /** Where /metrics is served on its own port (`METRICS_PORT`), if it is. */
  readonly metricsUrl?: string;
  /** Present when no issuer was configured (never in production). */
  readonly devIssuer?: DevIssuer;
  /** Present when no upstream URLs were configured (never in production). */
  readonly demo?: DemoServices;
  /** Where large queries execute (`EXECUTION_WORKER`, on by default). */
  readonly executor?: ExecutionWorker;
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
  /** Turns tracing on with this exporter, whatever the configuration says (tests: an in-memory exporter). */
  readonly spanExporter?: SpanExporter;
}

// At start-up, how long to wait for Redis before starting without it (degraded, reconnecting).
const REDIS_CONNECT_WAIT_MS = 3000;

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
    // Registered first, so they stop last: spans and Redis commands of draining requests still go out.
    const tracing = createTracing(config.tracing, options.spanExporter ? { exporter: options.spanExporter } : {}) ?? undefined;
    if (tracing) {
      lifecycle.onStop('tracing', () => tracing.shutdown());
      log.info('tracing.enabled', { otlpUrl: config.tracing.otlpUrl, sampleRatio: config.tracing.sampleRatio });
    }
    const redis = config.redis === null ? undefined : new RedisConnection(config.redis, log);
    if (redis) {
      lifecycle.onStop('redis', () => redis.close());
      if (!(await redis.connected(REDIS_CONNECT_WAIT_MS))) log.warn('redis.start_without', { limitsOnError: config.redis?.limitsOnError });
    }
    // Sources are read at scrape time; `upstreams` and `verifier` are assigned below.
    const metrics: Metrics = new Metrics({
      circuits: () => upstreams.circuits?.() ?? {},
      tokenCache: () => verifier.cacheStats(),
      ...(redis ? { redisUp: () => redis.up } : {}),
    });
    lifecycle.onStop('metrics', async () => metrics.close());
    const telemetry = { metrics, ...(tracing ? { tracing } : {}) };

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
      observer: upstreamObserver(telemetry),
    });
    lifecycle.onStop('upstream pools', () => pools.close());
    const upstreams = options.wrapUpstreams ? options.wrapUpstreams(pools) : pools;
    lifecycle.requireReady('every upstream circuit is open', () => upstreams.available?.() ?? true);

    const verifier: TokenVerifier & KeyStatus & TokenCacheStats = createTokenVerifier(config.auth, issuers, { clock, log });
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
    const memoryLimits = createMemoryLimitStore({ clock });
    let limitStore: LimitStore = memoryLimits;
    let cache: CrossRequestCache = new MemoryCache({
      clock,
      ttlMs: config.identityCache.ttlMs,
      maxEntries: config.identityCache.maxEntries,
    });
    if (redis && config.redis) {
      const { keyPrefix, slotTtlMs, limitsOnError } = config.redis;
      const onCommandError = (operation: string) => metrics.sharedStoreError(operation);
      limitStore = new RedisLimitStore(redis, {
        clock,
        keyPrefix,
        slotTtlMs,
        onError: limitsOnError,
        fallback: memoryLimits,
        log,
        onCommandError,
      });
      // Limits that fail closed refuse every request while Redis is away: the instance is then
      // not ready (it could serve nothing). Otherwise it serves on, and says it is degraded.
      if (limitsOnError === 'closed') lifecycle.requireReady('redis unavailable (REDIS_LIMITS_ON_ERROR=closed)', () => redis.up);
      else lifecycle.degradedBy('redis', () => !redis.up);
      if (config.identityCache.ttlMs > 0) {
        const shared = new RedisCache(redis, {
          clock,
          ttlMs: config.identityCache.ttlMs,
          maxEntries: config.identityCache.maxEntries,
          keyPrefix,
          log,
          onInvalidated: (origin, keys) => metrics.invalidated(origin, keys.length),
          onCommandError,
        });
        await shared.start();
        lifecycle.onStop('shared cache', () => shared.close());
        cache = shared;
      }
    }

    const routes: HttpRoute[] = [];
    if (config.licenseNotifications !== null) routes.push(licenseNotificationRoute(config.licenseNotifications, { cache, clock, log }));
    const metricsAt = metricsRoute(metrics, config.metrics.token);
    let metricsServer: MetricsServer | undefined;
    if (config.metrics.port !== null) {
      const started = await startMetricsServer(metricsAt, config.host, config.metrics.port);
      lifecycle.onStop('metrics listener', () => started.close());
      metricsServer = started;
    } else if (!config.production || config.metrics.token !== null) {
      routes.push(metricsAt);
    } else {
      log.warn('metrics.not_served', { why: 'production without METRICS_PORT or METRICS_TOKEN: /metrics would be public' });
    }

    // Registered before the server, so it stops after the server drained.
    let executor: ExecutionWorker | undefined;
    if (config.executionWorker) {
      executor = new ExecutionWorker(
        {
          upstream: config.upstream,
          urls,
          maxPageSize: config.maxPageSize,
          execution: config.execution,
          nice: config.executionWorkerNice,
        },
        { log, metrics },
      );
      const started = executor;
      lifecycle.onStop('execution worker', () => started.close());
      await executor.start();
    }

    const bff = createBff({
      config,
      limitStore,
      // The identity lookups read through the cache only when it is on (a TTL above 0).
      ...(config.identityCache.ttlMs > 0 ? { cache } : {}),
      verifier,
      upstreams,
      log,
      clock,
      ...(landingToken ? { landingToken } : {}),
      isReady: () => lifecycle.ready(),
      telemetry,
      routes,
      degraded: () => lifecycle.degraded(),
      ...(executor === undefined ? {} : { executor }),
    });
    // Registered last, so it runs first: the listener drains while the upstreams it needs are open.
    lifecycle.onStop('graphql server', () => bff.stop());
    const url = await bff.listen(config.port, config.host);
    lifecycle.markListening();
    return {
      url,
      bff,
      upstreams,
      verifier,
      lifecycle,
      devIssuer,
      demo,
      cache,
      metrics,
      ...(executor ? { executor } : {}),
      ...(tracing ? { tracing } : {}),
      ...(redis ? { redis } : {}),
      ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
      stop: () => lifecycle.stop(),
    };
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
}
