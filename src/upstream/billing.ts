import type { BillingAccount, BillingPaths, Invoice, InvoicePage, InvoicePageRequest } from './types.js';
import { readerFor, type UpstreamHttp } from './http.js';

/** Typed client of the billing API (openapi/billing.yaml). */
export interface BillingClient {
  accountsByCustomers(customerIds: string[], signal?: AbortSignal): Promise<BillingAccount[]>;
  invoicesByIds(ids: string[], signal?: AbortSignal): Promise<Invoice[]>;
  /** One page per request, in request order (the upstream guarantees the order). */
  invoicePages(requests: InvoicePageRequest[], signal?: AbortSignal): Promise<InvoicePage[]>;
}

/** Binds the billing API's batch reads to an HTTP connection. */
export function createBillingClient(http: UpstreamHttp): BillingClient {
  const read = readerFor<BillingPaths>(http);
  return {
    accountsByCustomers: async (customerIds, signal) => (await read('/accounts/by-customer', { customerIds }, signal)).items,
    invoicesByIds: async (ids, signal) => (await read('/invoices/batch-get', { ids }, signal)).items,
    invoicePages: async (requests, signal) => (await read('/invoices/pages', { requests }, signal)).results,
  };
}
