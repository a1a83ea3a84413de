import DataLoader from 'dataloader';
import type { Upstreams } from './index.js';
import { manyByKey, oneByKey } from './batch.js';
import type { Assignment, BillingAccount, Customer, Invoice, InvoicePage, License, Usage, User } from './types.js';

/** A page of a customer's invoices: the key of the invoice-page loader. */
export interface InvoicePageKey {
  readonly customerId: string;
  readonly limit: number;
  readonly after: string | null;
}

/**
 * Per-request DataLoaders over the upstream batch endpoints. Authorization rules and
 * resolvers share them, so a record needed by both is fetched once, and a list of N
 * objects costs one upstream call per level.
 */
export interface Loaders {
  readonly customer: DataLoader<string, Customer | null>;
  readonly user: DataLoader<string, User | null>;
  readonly userBySubject: DataLoader<string, User | null>;
  readonly usersByCustomer: DataLoader<string, User[]>;
  readonly billingAccountByCustomer: DataLoader<string, BillingAccount | null>;
  readonly invoice: DataLoader<string, Invoice | null>;
  readonly invoicePage: DataLoader<InvoicePageKey, InvoicePage, string>;
  readonly license: DataLoader<string, License | null>;
  readonly licensesByCustomer: DataLoader<string, License[]>;
  readonly assignmentsByLicense: DataLoader<string, Assignment[]>;
  readonly usageByCustomer: DataLoader<string, Usage | null>;
}

/** Creates a fresh set of loaders; call once per request, never share across requests. */
export function createLoaders(upstreams: Upstreams): Loaders {
  const { customers, billing, licenses } = upstreams;

  const customer = new DataLoader<string, Customer | null>(async (ids) =>
    oneByKey(ids, await customers.customersByIds([...ids]), (c) => c.id),
  );
  const user = new DataLoader<string, User | null>(async (ids) => oneByKey(ids, await customers.usersByIds([...ids]), (u) => u.id));
  const userBySubject = new DataLoader<string, User | null>(async (subjects) => {
    const found = await customers.usersBySubjects([...subjects]);
    for (const record of found) user.prime(record.id, record);
    return oneByKey(subjects, found, (u) => u.subject);
  });
  const usersByCustomer = new DataLoader<string, User[]>(async (customerIds) => {
    const found = await customers.usersByCustomers([...customerIds]);
    for (const record of found) user.prime(record.id, record);
    return manyByKey(customerIds, found, (u) => u.customerId ?? '');
  });

  const billingAccountByCustomer = new DataLoader<string, BillingAccount | null>(async (customerIds) =>
    oneByKey(customerIds, await billing.accountsByCustomers([...customerIds]), (a) => a.customerId),
  );
  const invoice = new DataLoader<string, Invoice | null>(async (ids) => oneByKey(ids, await billing.invoicesByIds([...ids]), (i) => i.id));
  const invoicePage = new DataLoader<InvoicePageKey, InvoicePage, string>(
    async (keys) => {
      const pages = await billing.invoicePages(
        keys.map((k) => ({ customerId: k.customerId, limit: k.limit, ...(k.after === null ? {} : { after: k.after }) })),
      );
      return keys.map((key, index) => {
        const page = pages[index];
        if (page === undefined || page.customerId !== key.customerId) {
          return new Error(`billing: invoice page ${index} missing or for another customer`);
        }
        // Defence in depth: an invoice of another customer in this page is dropped, not shown.
        const items = page.items.filter((item) => item.customerId === key.customerId);
        for (const item of items) invoice.prime(item.id, item);
        return { ...page, items };
      });
    },
    { cacheKeyFn: (key) => `${key.customerId}\u0000${key.limit}\u0000${key.after ?? ''}` },
  );

  const license = new DataLoader<string, License | null>(async (ids) => oneByKey(ids, await licenses.licensesByIds([...ids]), (l) => l.id));
  const licensesByCustomer = new DataLoader<string, License[]>(async (customerIds) => {
    const found = await licenses.licensesByCustomers([...customerIds]);
    for (const record of found) license.prime(record.id, record);
    return manyByKey(customerIds, found, (l) => l.customerId);
  });
  const assignmentsByLicense = new DataLoader<string, Assignment[]>(async (licenseIds) =>
    manyByKey(licenseIds, await licenses.assignmentsByLicenses([...licenseIds]), (a) => a.licenseId),
  );
  const usageByCustomer = new DataLoader<string, Usage | null>(async (customerIds) =>
    oneByKey(customerIds, await licenses.usageByCustomers([...customerIds]), (u) => u.customerId),
  );

  return {
    customer,
    user,
    userBySubject,
    usersByCustomer,
    billingAccountByCustomer,
    invoice,
    invoicePage,
    license,
    licensesByCustomer,
    assignmentsByLicense,
    usageByCustomer,
  };
}
