import type { Clock } from '../clock.js';
import type { UpstreamConfig } from '../config.js';
import type { Logger } from '../log.js';
import { createBillingClient, type BillingClient } from './billing.js';
import type { BreakerState } from './breaker.js';
import { createCustomersClient, type CustomersClient } from './customers.js';
import { UpstreamHttp, type CallRecorder, type UpstreamObserver } from './http.js';
import { createLicensesClient, type LicensesClient } from './licenses.js';

/** The three upstream APIs, each on its own connection pool. */
export interface Upstreams {
  readonly customers: CustomersClient;
  readonly billing: BillingClient;
  readonly licenses: LicensesClient;
  /** Circuit state per upstream (`closed` when breakers are disabled). Absent on test stubs. */
  circuits?(): Record<UpstreamName, BreakerState>;
  /** False while every upstream's circuit is open: the instance can serve nothing useful. */
  available?(): boolean;
  close(): Promise<void>;
}

/** The upstream services by name. */
export type UpstreamName = 'customers' | 'billing' | 'licenses';

/** How patient to be with the upstreams, exactly as configured (`config.upstream`). */
export type UpstreamSettings = Pick<
  UpstreamConfig,
  'timeoutsMs' | 'maxConnections' | 'maxBodyBytes' | 'readRetries' | 'retryDelayMs' | 'breaker'
>;

/** Where the upstreams are, and what the pools report to. */
export interface UpstreamsDependencies {
  readonly urls: Readonly<Record<UpstreamName, string>>;
  /** Call budgets, retry pauses and breakers run on this clock. */
  readonly clock: Clock;
  /** Breaker transitions and upstream failures are logged here. */
  readonly log?: Logger;
  /** Counts every call (tests and benchmarks prove batching with it). */
  readonly recorder?: CallRecorder;
  /** Injected by tests: the source of retry jitter. */
  readonly random?: () => number;
  /** Metrics and traces of every attempt (see src/observability/upstream.ts). */
  readonly observer?: UpstreamObserver;
}

/** Opens a connection pool per upstream and binds the typed clients to them. */
export function createUpstreams(settings: UpstreamSettings, deps: UpstreamsDependencies): Upstreams {
  const { log } = deps;
  const http = (service: UpstreamName) =>
    new UpstreamHttp(
      {
        service,
        baseUrl: deps.urls[service],
        timeoutMs: settings.timeoutsMs[service],
        maxConnections: settings.maxConnections,
        maxBodyBytes: settings.maxBodyBytes,
        readRetries: settings.readRetries,
        retryDelayMs: settings.retryDelayMs,
        clock: deps.clock,
        ...(deps.random ? { random: deps.random } : {}),
        ...(deps.observer ? { observer: deps.observer } : {}),
        breaker: {
          ...settings.breaker,
          onStateChange: (state, previous) => {
            const fields = { service, state, previous };
            if (state === 'open') log?.warn('upstream.circuit_open', fields);
            else log?.info('upstream.circuit_changed', fields);
          },
        },
        // Fail-fast refusals of an open circuit and abandoned calls are not upstream trouble:
        // debug, or they flood the log.
        onFailure: (failure) =>
          failure.reason === 'circuit_open' || failure.reason === 'aborted'
            ? log?.debug('upstream.short_circuited', failure)
            : log?.warn('upstream.failed', failure),
      },
      deps.recorder,
    );
  const pools = { customers: http('customers'), billing: http('billing'), licenses: http('licenses') };
  const circuits = () =>
    ({
      customers: pools.customers.breaker?.state ?? 'closed',
      billing: pools.billing.breaker?.state ?? 'closed',
      licenses: pools.licenses.breaker?.state ?? 'closed',
    }) satisfies Record<UpstreamName, BreakerState>;
  return {
    customers: createCustomersClient(pools.customers),
    billing: createBillingClient(pools.billing),
    licenses: createLicensesClient(pools.licenses),
    circuits,
    available: () => Object.values(circuits()).some((state) => state !== 'open'),
    async close() {
      await Promise.all(Object.values(pools).map((pool) => pool.close()));
    },
  };
}
