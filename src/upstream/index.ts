import { createBillingClient, type BillingClient } from './billing.js';
import { createCustomersClient, type CustomersClient } from './customers.js';
import { UpstreamHttp, type CallRecorder } from './http.js';
import { createLicensesClient, type LicensesClient } from './licenses.js';

/** The three upstream APIs, each on its own connection pool. */
export interface Upstreams {
  readonly customers: CustomersClient;
  readonly billing: BillingClient;
  readonly licenses: LicensesClient;
  close(): Promise<void>;
}

/** Where the upstreams are and how patient to be with them. */
export interface UpstreamsOptions {
  readonly urls: { readonly customers: string; readonly billing: string; readonly licenses: string };
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly recorder?: CallRecorder;
}

/** Opens a connection pool per upstream and binds the typed clients to them. */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const http = (service: keyof UpstreamsOptions['urls']) =>
    new UpstreamHttp({ service, baseUrl: options.urls[service], timeoutMs: options.timeoutMs, maxConnections: options.maxConnections }, options.recorder);
  const pools = { customers: http('customers'), billing: http('billing'), licenses: http('licenses') };
  return {
    customers: createCustomersClient(pools.customers),
    billing: createBillingClient(pools.billing),
    licenses: createLicensesClient(pools.licenses),
    async close() {
      await Promise.all(Object.values(pools).map((pool) => pool.close()));
    },
  };
}
