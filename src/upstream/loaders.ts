import DataLoader from 'dataloader';
import type { Upstreams } from './index.js';
import { BadUserInputError, UpstreamUnavailableError } from '../errors.js';
import { manyByKey, oneByKey } from './batch.js';
import type { BillingClient } from './billing.js';
import { type CallContext, UpstreamStatusError } from './http.js';
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
  /** The customer linked to an identity-provider organization (Auth0 `org_id`). */
  readonly customerByOrganization: DataLoader<string, Customer | null>;
  readonly user: DataLoader<string, User | null>;
  /** Every user record of a subject: one per customer the person belongs to. */
  readonly usersBySubject: DataLoader<string, User[]>;
  readonly usersByCustomer: DataLoader<string, User[]>;
  readonly billingAccountByCustomer: DataLoader<string, BillingAccount | null>;
  readonly invoice: DataLoader<string, Invoice | null>;
  readonly invoicePage: DataLoader<InvoicePageKey, InvoicePage, string>;
  readonly license: DataLoader<string, License | null>;
  readonly licensesByCustomer: DataLoader<string, License[]>;
  readonly assignmentsByLicense: DataLoader<string, Assignment[]>;
  readonly usageByCustomer: DataLoader<string, Usage | null>;
}

/** What the loaders of one request share: every upstream call they make carries it (see `CallContext`). */
export type LoaderOptions = CallContext;

/** Creates a fresh set of loaders; call once per request, never share across requests. */
export function createLoaders(upstreams: Upstreams, options: LoaderOptions = {}): Loaders {
  const { customers, billing, licenses } = upstreams;
  // One object for every call of the request: its abort signal, request id and trace.
  const call = options;

  const customer = new DataLoader<string, Customer | null>(async (ids) =>
    oneByKey(ids, await customers.customersByIds([...ids], call), (c) => c.id),
  );
  const customerByOrganization = new DataLoader<string, Customer | null>(async (organizationIds) => {
    const found = await customers.customersByOrganizations([...organizationIds], call);
    const matched = oneByKey(organizationIds, found, (c) => c.organizationId ?? '');
    for (const record of matched) if (record !== null) customer.prime(record.id, record);
    return matched;
  });
  const user = new DataLoader<string, User | null>(async (ids) => oneByKey(ids, await customers.usersByIds([...ids], call), (u) => u.id));
  const usersBySubject = new DataLoader<string, User[]>(async (subjects) => {
    const found = await customers.usersBySubjects([...subjects], call);
    const matched = manyByKey(subjects, found, (u) => u.subject);
    for (const record of matched.flat()) user.prime(record.id, record);
    return matched;
  });
  const usersByCustomer = new DataLoader<string, User[]>(async (customerIds) => {
    const found = await customers.usersByCustomers([...customerIds], call);
    for (const record of found) user.prime(record.id, record);
    return manyByKey(customerIds, found, (u) => u.customerId ?? '');
  });

  const billingAccountByCustomer = new DataLoader<string, BillingAccount | null>(async (customerIds) =>
    oneByKey(customerIds, await billing.accountsByCustomers([...customerIds], call), (a) => a.customerId),
  );
  const invoice = new DataLoader<string, Invoice | null>(async (ids) =>
    oneByKey(ids, await billing.invoicesByIds([...ids], call), (i) => i.id),
  );
  const invoicePage = new DataLoader<InvoicePageKey, InvoicePage, string>(
    async (keys) => {
      const pages = await invoicePages(billing, keys, call);
      return keys.map((key, index) => {
        const page = pages[index];
        if (page instanceof Error) return page;
        if (page === undefined || page.customerId !== key.customerId) {
          return new Error(`billing: invoice page ${index} missing or for another customer`);
        }
        if (page.cursors.length !== page.items.length) {
          return new Error(`billing: invoice page ${index} has ${page.cursors.length} cursors for ${page.items.length} items`);
        }
        // Defence in depth: an invoice of another customer in this page is dropped (with its
        // cursor), not shown.
        const kept = page.items.map((item) => item.customerId === key.customerId);
        const items = page.items.filter((_, at) => kept[at]);
        const cursors = page.cursors.filter((_, at) => kept[at]);
        for (const item of items) invoice.prime(item.id, item);
        return { ...page, items, cursors };
      });
    },
    { cacheKeyFn: (key) => `${key.customerId}\u0000${key.limit}\u0000${key.after ?? ''}` },
  );

  const license = new DataLoader<string, License | null>(async (ids) =>
    oneByKey(ids, await licenses.licensesByIds([...ids], call), (l) => l.id),
  );
  const licensesByCustomer = new DataLoader<string, License[]>(async (customerIds) => {
    const found = await licenses.licensesByCustomers([...customerIds], call);
    for (const record of found) license.prime(record.id, record);
    return manyByKey(customerIds, found, (l) => l.customerId);
  });
  const assignmentsByLicense = new DataLoader<string, Assignment[]>(async (licenseIds) =>
    manyByKey(licenseIds, await licenses.assignmentsByLicenses([...licenseIds], call), (a) => a.licenseId),
  );
  const usageByCustomer = new DataLoader<string, Usage | null>(async (customerIds) =>
    oneByKey(customerIds, await licenses.usageByCustomers([...customerIds], call), (u) => u.customerId),
  );

  return {
    customer,
    customerByOrganization,
    user,
    usersBySubject,
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

/** Longest cursor passed on: upstream cursors are short; anything longer is not one. */
const MAX_CURSOR_LENGTH = 512;
const CURSOR_SHAPE = /^[\x21-\x7e]+$/;

/**
 * One `/invoices/pages` batch for every page the request asked for. A cursor the billing API
 * refuses fails its whole batch there; then each page is fetched on its own, so only the page
 * with the bad cursor reads as BAD_USER_INPUT and every other page is intact. Cursors that
 * cannot be one (too long, control characters) never reach the upstream.
 */
async function invoicePages(billing: BillingClient, keys: readonly InvoicePageKey[], call?: CallContext): Promise<(InvoicePage | Error)[]> {
  const results: (InvoicePage | Error | undefined)[] = keys.map((key) =>
    key.after !== null && (key.after.length > MAX_CURSOR_LENGTH || !CURSOR_SHAPE.test(key.after)) ? badCursor() : undefined,
  );
  const asked = keys.flatMap((key, index) => (results[index] === undefined ? [{ key, index }] : []));
  if (asked.length === 0) return results as (InvoicePage | Error)[];
  const request = (key: InvoicePageKey) => ({
    customerId: key.customerId,
    limit: key.limit,
    ...(key.after === null ? {} : { after: key.after }),
  });
  try {
    const pages = await billing.invoicePages(
      asked.map(({ key }) => request(key)),
      call,
    );
    asked.forEach(({ index }, position) => {
      results[index] = pages[position] ?? new Error(`billing: invoice page ${position} missing`);
    });
  } catch (error) {
    if (!isInvalidCursor(error)) throw error;
    await Promise.all(
      asked.map(async ({ key, index }) => {
        try {
          const [page] = await billing.invoicePages([request(key)], call);
          results[index] = page ?? new Error('billing: invoice page missing');
        } catch (single) {
          results[index] = isInvalidCursor(single) ? badCursor() : single instanceof Error ? single : new Error(String(single));
        }
      }),
    );
  }
  return results as (InvoicePage | Error)[];
}

function badCursor(): BadUserInputError {
  return new BadUserInputError('after is not a cursor returned by this API (an edge cursor or pageInfo.endCursor).');
}

function isInvalidCursor(error: unknown): boolean {
  const cause = error instanceof UpstreamUnavailableError ? error.originalError : error;
  return cause instanceof UpstreamStatusError && cause.status === 400 && cause.upstreamCode === 'INVALID_CURSOR';
}

/** Loaders that remember every key loaded through them, and can forget those keys again. */
export interface RecordingLoaders {
  readonly loaders: Loaders;
  /** Drops every record loaded through `loaders` from the request's caches (they are re-fetched if asked for again). */
  forget(): void;
}

/**
 * A view of `loaders` for a read that may have to be taken back (a resolver run before its
 * rule decided): loads still go through the request's loaders, so they batch with everything
 * else, but each key is recorded, and `forget` clears them, so nothing the read brought in is
 * served to a later field from the cache.
 */
export function recordingLoaders(loaders: Loaders): RecordingLoaders {
  const loaded: (() => void)[] = [];
  const view = {} as Record<string, unknown>;
  for (const [name, loader] of Object.entries(loaders) as [string, DataLoader<unknown, unknown, unknown>][]) {
    // Only `load` is replaced, and it calls the real loader: its batch and cache stay the
    // request's own (a copy with its own batch state would split a batch in two).
    view[name] = Object.create(loader, {
      load: {
        value: (key: unknown) => {
          loaded.push(() => loader.clear(key));
          return loader.load(key);
        },
      },
    });
  }
  return {
    loaders: view as unknown as Loaders,
    forget: () => {
      for (const clear of loaded.splice(0)) clear();
    },
  };
}
