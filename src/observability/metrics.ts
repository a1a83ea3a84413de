import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one BFF (prom-client), on a registry of its own: several BFFs in one
 * process (tests) never mix their counts, and nothing is registered globally.
 *
 * Every label takes its values from a closed set: error codes, rule names and schema
 * coordinates of the policy, upstream names, failure reasons. The one exception, the operation
 * name, comes from clients, so it is checked and bounded (`OperationLabels`): a client sending
 * a million distinct operation names gets one series named `other`, not a million series.
 */

/** How a GraphQL request ended, as counted: `ok` (no error), `partial` (data and errors), `error` (no data, or HTTP >= 400). */
export type RequestOutcome = 'ok' | 'partial' | 'error';

/** State of an upstream circuit as a number: closed 0, half-open 1, open 2. */
const CIRCUIT_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Distinct operation names kept as label values; the rest are counted as `other`. */
const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** Bounds the operation label: at most `max` distinct names, each a GraphQL name of at most 100 characters. */
export class OperationLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_OPERATION_LABELS) {}

  /** The label value for `name`: the name itself, `anonymous`, `invalid` or `other`. */
  of(name: string | null | undefined): string {
    if (name === null || name === undefined || name === '') return 'anonymous';
    if (this.seen.has(name)) return name;
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(name);
    return name;
  }
}

/** Numbers read at scrape time from the parts of the BFF that keep them (no cost per request). */
export interface MetricSources {
  /** Circuit state per upstream. */
  circuits?: () => Readonly<Record<string, keyof typeof CIRCUIT_VALUES>>;
  /** Verified-token cache lookups since start. */
  tokenCache?: () => { readonly hits: number; readonly misses: number };
  /** True while the shared store (Redis) answers; absent without one. */
  redisUp?: () => boolean;
}

/** The BFF's metrics and the registry they are rendered from. */
export class Metrics {
  readonly registry = new Registry();
  readonly operations = new OperationLabels();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly duration: Histogram<'operation' | 'outcome'>;
  private readonly errors: Counter<'code'>;
  private readonly denials: Counter<'rule' | 'coordinate'>;
  private readonly upstreamDuration: Histogram<'api' | 'outcome'>;
  private readonly upstreamErrors: Counter<'api' | 'reason'>;
  private readonly upstreamRetries: Counter<'api'>;
  private readonly invalidations: Counter<'origin'>;
  private readonly sharedStoreErrors: Counter<'operation'>;
  // Children per label set, so the hot path is one map lookup and an increment.
  private readonly denialChildren = new Map<string, { inc(): void }>();

  constructor(sources: MetricSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.requests = new Counter({
      name: 'bff_graphql_requests_total',
      help: 'GraphQL requests by operation name and outcome (ok, partial, error).',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'bff_graphql_request_duration_seconds',
      help: 'Time from the request arriving to the response being written, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    });
    this.errors = new Counter({
      name: 'bff_graphql_errors_total',
      help: 'Errors sent to clients, by error code (src/errors.ts).',
      labelNames: ['code'],
      registers,
    });
    this.denials = new Counter({
      name: 'bff_authz_denials_total',
      help: 'Authorization decisions that withheld a field or object, by rule and schema coordinate.',
      labelNames: ['rule', 'coordinate'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'bff_upstream_request_duration_seconds',
      help: 'Upstream call attempts by API and outcome (ok, or the failure reason).',
      labelNames: ['api', 'outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'bff_upstream_errors_total',
      help: 'Failed upstream calls by API and reason (timeout, transport, status_5xx, circuit_open, ...).',
      labelNames: ['api', 'reason'],
      registers,
    });
    this.upstreamRetries = new Counter({
      name: 'bff_upstream_retries_total',
      help: 'Read retries after a transient upstream failure, by API.',
      labelNames: ['api'],
      registers,
    });
    this.invalidations = new Counter({
      name: 'bff_cache_invalidations_total',
      help: 'Cross-request cache keys dropped on invalidation, by origin (local: this instance asked; remote: another instance did).',
      labelNames: ['origin'],
      registers,
    });
    this.sharedStoreErrors = new Counter({
      name: 'bff_redis_errors_total',
      help: 'Redis commands that failed or timed out (limits then follow REDIS_LIMITS_ON_ERROR), by operation.',
      labelNames: ['operation'],
      registers,
    });
    const { circuits, tokenCache, redisUp } = sources;
    if (circuits) {
      new Gauge({
        name: 'bff_upstream_circuit_state',
        help: 'Circuit breaker state per upstream API: 0 closed, 1 half-open, 2 open.',
        labelNames: ['api'],
        registers,
        collect() {
          for (const [api, state] of Object.entries(circuits())) this.set({ api }, CIRCUIT_VALUES[state]);
        },
      });
    }
    if (tokenCache) {
      // Counted by the verifier as plain numbers; turned into counters when scraped.
      let counted = { hits: 0, misses: 0 };
      const delta = (key: 'hits' | 'misses') => {
        const now = tokenCache();
        const added = now[key] - counted[key];
        counted = { ...counted, [key]: now[key] };
        return added;
      };
      new Counter({
        name: 'bff_token_cache_hits_total',
        help: 'Access tokens found in the verified-token cache.',
        registers,
        collect() {
          this.inc(delta('hits'));
        },
      });
      new Counter({
        name: 'bff_token_cache_misses_total',
        help: 'Access tokens verified (signature checked) because the cache did not hold them.',
        registers,
        collect() {
          this.inc(delta('misses'));
        },
      });
      new Gauge({
        name: 'bff_token_cache_hit_ratio',
        help: 'Hits / lookups of the verified-token cache since start (for rates, use the two counters).',
        registers,
        collect() {
          const { hits, misses } = tokenCache();
          this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
        },
      });
    }
    if (redisUp) {
      new Gauge({
        name: 'bff_redis_up',
        help: '1 while the shared Redis answers, 0 while it does not (limits and cache then run per instance or as configured).',
        registers,
        collect() {
          this.set(redisUp() ? 1 : 0);
        },
      });
    }
  }

  /** One GraphQL request ended. */
  request(operationName: string | null, outcome: RequestOutcome, seconds: number): void {
    const operation = this.operations.of(operationName);
    this.requests.inc({ operation, outcome });
    this.duration.observe({ operation, outcome }, seconds);
  }

  /** `count` errors with `code` went to a client. */
  error(code: string, count = 1): void {
    this.errors.inc({ code }, count);
  }

  /** An authorization rule withheld `coordinate` (`Type.field`). */
  denied(rule: string, coordinate: string): void {
    const key = `${rule}\u0000${coordinate}`;
    let child = this.denialChildren.get(key);
    if (child === undefined) {
      child = this.denials.labels({ rule, coordinate });
      this.denialChildren.set(key, child);
    }
    child.inc();
  }

  /** One upstream call attempt ended (`outcome`: `ok` or the failure reason). */
  upstream(api: string, outcome: string, seconds: number): void {
    this.upstreamDuration.observe({ api, outcome }, seconds);
    if (outcome !== 'ok') this.upstreamErrors.inc({ api, reason: outcome });
  }

  /** A read is attempted again after a transient failure. */
  retried(api: string): void {
    this.upstreamRetries.inc({ api });
  }

  /** Keys dropped from the cross-request cache. */
  invalidated(origin: 'local' | 'remote', keys: number): void {
    this.invalidations.inc({ origin }, keys);
  }

  /** A Redis command failed. */
  sharedStoreError(operation: string): void {
    this.sharedStoreErrors.inc({ operation });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops the default collectors' timers (the event-loop delay monitor). */
  close(): void {
    this.registry.clear();
  }
}
