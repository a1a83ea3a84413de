import type { Logger } from '../log.js';
import { createBillingClient, type BillingClient } from './billing.js';
import type { BreakerState } from './breaker.js';
import { createCustomersClient, type CustomersClient } from './customers.js';
import { UpstreamHttp, type CallRecorder } from './http.js';
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

/** Resilience settings shared by the three upstreams; each gets its own breaker. */
export interface ResilienceOptions {
  /** Bytes of one response body beyond which it is abandoned. */
  readonly maxBodyBytes: number;
  /** Extra attempts for idempotent reads (0 disables retries); writes are never retried. */
  readonly readRetries: number;
  readonly retryDelayMs: number;
  /** Failures within `breakerWindowMs` that open a circuit; 0 disables breakers. */
  readonly breakerFailureThreshold: number;
  readonly breakerWindowMs: number;
  readonly breakerResetMs: number;
}

/** Where the upstreams are and how patient to be with them. */
export interface UpstreamsOptions {
  readonly urls: { readonly customers: string; readonly billing: string; readonly licenses: string };
  /** Default per-call budget; `timeoutsMs` overrides it per upstream. */
  readonly timeoutMs: number;
  readonly timeoutsMs?: Partial<Record<UpstreamName, number>>;
  readonly maxConnections: number;
  readonly recorder?: CallRecorder;
  /** Defaults: 16 MiB bodies, no retries, no breakers (what unit tests of batching want). */
  readonly resilience?: Partial<ResilienceOptions>;
  /** Breaker transitions and upstream failures are logged here. */
  readonly log?: Logger;
}

/** Opens a connection pool per upstream and binds the typed clients to them. */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const resilience = options.resilience ?? {};
  const log = options.log;
  const http = (service: UpstreamName) =>
    new UpstreamHttp(
      {
        service,
        baseUrl: options.urls[service],
        timeoutMs: options.timeoutsMs?.[service] ?? options.timeoutMs,
        maxConnections: options.maxConnections,
        ...(resilience.maxBodyBytes === undefined ? {} : { maxBodyBytes: resilience.maxBodyBytes }),
        readRetries: resilience.readRetries ?? 0,
        retryDelayMs: resilience.retryDelayMs ?? 100,
        breaker: {
          failureThreshold: resilience.breakerFailureThreshold ?? 0,
          windowMs: resilience.breakerWindowMs ?? 10_000,
          resetMs: resilience.breakerResetMs ?? 5_000,
          onStateChange: (state, previous) => {
            const fields = { service, state, previous };
            if (state === 'open') log?.warn('upstream.circuit_open', fields);
            else log?.info('upstream.circuit_changed', fields);
          },
        },
        // Fail-fast refusals of an open circuit are the breaker working: debug, or they flood the log.
        onFailure: (failure) =>
          failure.reason === 'circuit_open' ? log?.debug('upstream.short_circuited', failure) : log?.warn('upstream.failed', failure),
      },
      options.recorder,
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
