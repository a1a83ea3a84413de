/** The demo "billing" upstream (openapi/billing.yaml): billing accounts and invoices. */
import type { Invoice, InvoicePage } from '../upstream/types.js';
import {
  HttpError,
  MAX_LIST_LENGTH,
  badRequest,
  objectBody,
  startJsonService,
  stringListField,
  type DemoService,
  type ListenOptions,
} from './http-service.js';
import { groupBy, type DemoWorld } from './world.js';

const MAX_PAGE_LIMIT = 500;

interface ParsedPageRequest {
  readonly customerId: string;
  readonly limit: number;
  readonly after: SortKey | undefined;
}

/** Position of an invoice in a customer's newest-first order. */
type SortKey = readonly [issuedAt: string, id: string];

/** Starts the billing service over the world's accounts and invoices (read-only). */
export function startBillingService(world: DemoWorld, options: ListenOptions = {}): Promise<DemoService> {
  const accountsByCustomer = groupBy(world.accounts, (account) => account.customerId);
  const invoicesById = new Map(world.invoices.map((invoice) => [invoice.id, invoice]));
  const invoicesByCustomer = groupBy(world.invoices, (invoice) => invoice.customerId);
  for (const invoices of invoicesByCustomer.values()) invoices.sort(compareInvoices);

  return startJsonService({
    ...options,
    name: 'billing',
    routes: [
      {
        method: 'POST',
        path: '/accounts/by-customer',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'customerIds').flatMap((id) => accountsByCustomer.get(id) ?? []) },
        }),
      },
      {
        method: 'POST',
        path: '/invoices/batch-get',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'ids').flatMap((id) => invoicesById.get(id) ?? []) },
        }),
      },
      {
        method: 'POST',
        path: '/invoices/pages',
        handler: ({ body }) => {
          // Parse every request before answering any, so a bad one fails the call as a whole.
          const requests = parsePageRequests(body);
          const results = requests.map((request) => page(invoicesByCustomer.get(request.customerId) ?? [], request));
          return { status: 200, body: { results } };
        },
      },
    ],
  });
}

function page(invoices: readonly Invoice[], request: ParsedPageRequest): InvoicePage {
  const start = request.after === undefined ? 0 : firstAfter(invoices, request.after);
  const items = invoices.slice(start, start + request.limit);
  // An item's cursor is its position in the order, so it is also the next page's cursor when
  // it ends a page: `after` needs no way to tell the two kinds apart.
  const cursors = items.map((invoice) => encodeCursor([invoice.issuedAt, invoice.id]));
  const hasMore = start + items.length < invoices.length;
  return {
    customerId: request.customerId,
    items,
    cursors,
    nextCursor: hasMore ? (cursors.at(-1) ?? null) : null,
    hasPrevious: start > 0,
    totalCount: invoices.length,
  };
}

/** Index of the first invoice strictly after `key`; works even if that invoice is gone. */
function firstAfter(invoices: readonly Invoice[], key: SortKey): number {
  let low = 0;
  let high = invoices.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const invoice = invoices[mid];
    if (invoice && compareKeys([invoice.issuedAt, invoice.id], key) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function compareInvoices(a: Invoice, b: Invoice): number {
  return compareKeys([a.issuedAt, a.id], [b.issuedAt, b.id]);
}

// Newest first: issuedAt descending, then id ascending as a stable tie-break.
function compareKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? 1 : -1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): SortKey {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    Array.isArray(decoded) &&
    decoded.length === 2 &&
    typeof decoded[0] === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(decoded[0]) &&
    typeof decoded[1] === 'string' &&
    // Node's base64url decoder skips junk characters; only the canonical encoding is ours.
    encodeCursor([decoded[0], decoded[1]]) === cursor
  ) {
    return [decoded[0], decoded[1]];
  }
  throw new HttpError(400, 'INVALID_CURSOR', 'after is not a cursor issued by this service');
}

function parsePageRequests(body: unknown): ParsedPageRequest[] {
  const requests = objectBody(body).requests;
  if (!Array.isArray(requests)) throw badRequest('requests must be an array');
  if (requests.length > MAX_LIST_LENGTH) {
    throw badRequest(`requests must not have more than ${MAX_LIST_LENGTH} entries`);
  }
  return requests.map((value: unknown, index) => {
    const request = objectBody(value, `requests[${index}]`);
    const { customerId, limit, after } = request;
    if (typeof customerId !== 'string') throw badRequest(`requests[${index}].customerId must be a string`);
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_PAGE_LIMIT) {
      throw badRequest(`requests[${index}].limit must be an integer in 1..${MAX_PAGE_LIMIT}`);
    }
    if (after !== undefined && after !== null && typeof after !== 'string') {
      throw badRequest(`requests[${index}].after must be a string`);
    }
    return {
      customerId,
      limit: limit as number,
      after: typeof after === 'string' ? decodeCursor(after) : undefined,
    };
  });
}
