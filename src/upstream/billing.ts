import type { BillingAccount, BillingPaths, Invoice, InvoicePage, InvoicePageRequest } from './types.js';
import { type CallContext, readerFor, type UpstreamHttp } from './http.js';

/** Typed client of the billing API (openapi/billing.yaml). */
export interface BillingClient {
  accountsByCustomers(customerIds: string[], call?: CallContext): Promise<BillingAccount[]>;
  invoicesByIds(ids: string[], call?: CallContext): Promise<Invoice[]>;
  /** One page per request, in request order (the upstream guarantees the order). */
  invoicePages(requests: InvoicePageRequest[], call?: CallContext): Promise<InvoicePage[]>;
}

/** Binds the billing API's batch reads to an HTTP connection. */
export function createBillingClient(http: UpstreamHttp): BillingClient {
  const read = readerFor<BillingPaths>(http);
  return {
    accountsByCustomers: async (customerIds, call) => (await read('/accounts/by-customer', { customerIds }, call)).items,
    invoicesByIds: async (ids, call) => (await read('/invoices/batch-get', { ids }, call)).items,
    invoicePages: async (requests, call) => (await read('/invoices/pages', { requests }, call)).results,
  };
}
