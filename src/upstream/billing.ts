import type { BillingAccount, BillingPaths, Invoice, InvoicePage, InvoicePageRequest } from './types.js';
import { readerFor, type UpstreamHttp } from './http.js';

/** Typed client of the billing API (openapi/billing.yaml). */
export interface BillingClient {
  accountsByCustomers(customerIds: string[]): Promise<BillingAccount[]>;
  invoicesByIds(ids: string[]): Promise<Invoice[]>;
  /** One page per request, in request order (the upstream guarantees the order). */
  invoicePages(requests: InvoicePageRequest[]): Promise<InvoicePage[]>;
}

/** Binds the billing API's batch reads to an HTTP connection. */
export function createBillingClient(http: UpstreamHttp): BillingClient {
  const read = readerFor<BillingPaths>(http);
  return {
    accountsByCustomers: async (customerIds) => (await read('/accounts/by-customer', { customerIds })).items,
    invoicesByIds: async (ids) => (await read('/invoices/batch-get', { ids })).items,
    invoicePages: async (requests) => (await read('/invoices/pages', { requests })).results,
  };
}
