import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry } from 'prom-client';

/**
 * Prometheus metrics of one BFF (prom-client), on a registry of its own: several BFFs in one
 * process (tests) never mix their counts, and nothing is registered globally.
 *
 * Every label takes its values from a closed set: error codes, rule names and schema
 * coordinates of the policy, upstream names, failure reasons. The one exception, the operation
 * name, comes from clients, so it is checked and bounded (`OperationLabels`): a client sending
 * a million distinct operation names gets one series named `other`, not a million series.
 *
 * The per-request metrics are `HotCounter` / `HotHistogram` below rather than prom-client's
 * own: prom-client validates and hashes the label object and allocates a closure on every
 * observation (about 5 µs each, 20 µs per request here, measured), while these cache one cell
 * per label set, so an observation is a map lookup and a few increments. prom-client's
 * registry still renders them, next to its default Node.js metrics.
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
  tokenCache?: () => { readonly hits: number; readonly misses: number; readonly revalidated: number };
  /** True while the shared store (Redis) answers; absent without one. */
  redisUp?: () => boolean;
}

/** The BFF's metrics and the registry they are rendered from. */
export class Metrics {
  readonly registry = new Registry();
  readonly operations = new OperationLabels();
  private readonly requests: HotCounter;
  private readonly duration: HotHistogram;
  private readonly errors: HotCounter;
  private readonly denials: HotCounter;
  private readonly upstreamDuration: HotHistogram;
  private readonly upstreamErrors: HotCounter;
  private readonly upstreamRetries: HotCounter;
  private readonly invalidations: HotCounter;
  private readonly sharedStoreErrors: HotCounter;

  constructor(sources: MetricSources = {}) {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    const hot = { registry: this.registry };
    this.requests = new HotCounter(
      hot,
      'bff_graphql_requests_total',
      'GraphQL requests by operation name and outcome (ok, partial, error).',
      ['operation', 'outcome'],
    );
    this.duration = new HotHistogram(
      hot,
      'bff_graphql_request_duration_seconds',
      'Time from the request arriving to the response being written, by operation and outcome.',
      ['operation', 'outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    );
    this.errors = new HotCounter(hot, 'bff_graphql_errors_total', 'Errors sent to clients, by error code (src/errors.ts).', ['code']);
    this.denials = new HotCounter(
      hot,
      'bff_authz_denials_total',
      'Authorization decisions that withheld a field or object, by rule and schema coordinate.',
      ['rule', 'coordinate'],
    );
    this.upstreamDuration = new HotHistogram(
      hot,
      'bff_upstream_request_duration_seconds',
      'Upstream call attempts by API and outcome (ok, or the failure reason).',
      ['api', 'outcome'],
      [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    );
    this.upstreamErrors = new HotCounter(
      hot,
      'bff_upstream_errors_total',
      'Failed upstream calls by API and reason (timeout, transport, status_5xx, circuit_open, ...).',
      ['api', 'reason'],
    );
    this.upstreamRetries = new HotCounter(hot, 'bff_upstream_retries_total', 'Read retries after a transient upstream failure, by API.', [
      'api',
    ]);
    this.invalidations = new HotCounter(
      hot,
      'bff_cache_invalidations_total',
      'Cross-request cache keys dropped on invalidation, by origin (local: this instance asked; remote: another instance did).',
      ['origin'],
    );
    this.sharedStoreErrors = new HotCounter(
      hot,
      'bff_redis_errors_total',
      'Redis commands that failed or timed out (limits then follow REDIS_LIMITS_ON_ERROR), by operation.',
      ['operation'],
    );
    const registers = [this.registry];
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
      let counted = { hits: 0, misses: 0, revalidated: 0 };
      const delta = (key: keyof typeof counted) => {
        const now = tokenCache();
        const added = now[key] - counted[key];
        counted = { ...counted, [key]: now[key] };
        return added;
      };
      new Counter({
        name: 'bff_token_cache_hits_total',
        help: 'Access tokens answered from the verified-token cache, without a signature check (revalidations included).',
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
      new Counter({
        name: 'bff_token_cache_revalidations_total',
        help: 'Cached tokens past AUTH_TOKEN_CACHE_TTL_SECONDS kept because the key that verified them is still in the issuer key set.',
        registers,
        collect() {
          this.inc(delta('revalidated'));
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
    this.requests.inc(operation, outcome);
    this.duration.observe(seconds, operation, outcome);
  }

  /** `count` errors with `code` went to a client. */
  error(code: string, count = 1): void {
    this.errors.add(count, code);
  }

  /** An authorization rule withheld `coordinate` (`Type.field`). */
  denied(rule: string, coordinate: string): void {
    this.denials.inc(rule, coordinate);
  }

  /** One upstream call attempt ended (`outcome`: `ok` or the failure reason). */
  upstream(api: string, outcome: string, seconds: number): void {
    this.upstreamDuration.observe(seconds, api, outcome);
    if (outcome !== 'ok') this.upstreamErrors.inc(api, outcome);
  }

  /** A read is attempted again after a transient failure. */
  retried(api: string): void {
    this.upstreamRetries.inc(api);
  }

  /** Keys dropped from the cross-request cache. */
  invalidated(origin: 'local' | 'remote', keys: number): void {
    this.invalidations.add(keys, origin);
  }

  /** A Redis command failed. */
  sharedStoreError(operation: string): void {
    this.sharedStoreErrors.inc(operation);
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

/** What prom-client's registry reads from a metric when it renders (the shape its own metrics return). */
interface Rendered {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** Base of the hot metrics: one cell per label set, found by the label values joined. */
abstract class HotMetric<Cell> {
  protected readonly cells = new Map<string, { labels: Record<string, string>; cell: Cell }>();

  constructor(
    target: { registry: Registry },
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {
    // The registry only calls get() (and reset()): the duck type is what it needs.
    target.registry.registerMetric(this as unknown as Metric);
  }

  protected cellFor(values: readonly string[]): Cell {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let entry = this.cells.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, index) => {
        labels[name] = values[index] ?? '';
      });
      entry = { labels, cell: this.createCell() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  protected abstract createCell(): Cell;

  /** Forgets every series (prom-client's `registry.resetMetrics()`). */
  reset(): void {
    this.cells.clear();
  }
}

/** A counter with labels: `inc(...labelValues)`. */
class HotCounter extends HotMetric<{ value: number }> {
  readonly type = 'counter';
  readonly aggregator = 'sum';

  inc(...labelValues: string[]): void {
    this.cellFor(labelValues).value++;
  }

  add(amount: number, ...labelValues: string[]): void {
    this.cellFor(labelValues).value += amount;
  }

  protected createCell() {
    return { value: 0 };
  }

  /** What the registry renders. */
  async get(): Promise<Rendered> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.cells.values()].map(({ labels, cell }) => ({ labels, value: cell.value })),
    };
  }
}

/** A histogram with labels: `observe(value, ...labelValues)`. */
class HotHistogram extends HotMetric<{ counts: number[]; sum: number; count: number }> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    target: { registry: Registry },
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(target, name, help, labelNames);
  }

  observe(value: number, ...labelValues: string[]): void {
    const cell = this.cellFor(labelValues);
    const { bounds } = this;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index++;
    // Index bounds.length is the +Inf bucket.
    cell.counts[index]!++;
    cell.sum += value;
    cell.count++;
  }

  protected createCell() {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** What the registry renders: cumulative buckets, +Inf, sum and count per label set. */
  async get(): Promise<Rendered> {
    const values: Rendered['values'] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += cell.counts[index]!;
        values.push({ labels: { ...labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: cell.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
