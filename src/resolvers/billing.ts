import type {
  BillingAccountResolvers,
  InvoiceConnectionResolvers,
  InvoiceEdgeResolvers,
  InvoiceLineResolvers,
  InvoiceResolvers,
  PageInfoResolvers,
} from './__generated__/resolvers-types.js';
import { NotFoundError } from '../errors.js';
import { money } from './money.js';

const ACCOUNT_STATUS = { active: 'ACTIVE', suspended: 'SUSPENDED' } as const;
const INVOICE_STATUS = { draft: 'DRAFT', open: 'OPEN', paid: 'PAID', void: 'VOID', overdue: 'OVERDUE' } as const;

/** Loads a record an upstream says must exist; a dangling reference reads as "not found". */
async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const record = await value;
  if (record === null) throw new NotFoundError(what);
  return record;
}

export { required };

export const BillingAccount: BillingAccountResolvers = {
  id: (a) => a.id,
  customer: (a, _x, ctx) => required(ctx.loaders.customer.load(a.customerId), 'Customer'),
  currency: (a) => a.currency,
  balance: (a) => money(a.balanceMinor, a.currency),
  billingEmail: (a) => a.billingEmail,
  paymentTerms: (a) => a.paymentTerms,
  status: (a) => ACCOUNT_STATUS[a.status],
};

export const Invoice: InvoiceResolvers = {
  id: (i) => i.id,
  number: (i) => i.number,
  customer: (i, _x, ctx) => required(ctx.loaders.customer.load(i.customerId), 'Customer'),
  status: (i) => INVOICE_STATUS[i.status],
  issuedAt: (i) => i.issuedAt,
  dueAt: (i) => i.dueAt,
  total: (i) => money(i.totalMinor, i.currency),
  lines: (i) => i.lines.map((line) => ({ ...line, currency: i.currency })),
};

export const InvoiceLine: InvoiceLineResolvers = {
  description: (l) => l.description,
  quantity: (l) => l.quantity,
  unitPrice: (l) => money(l.unitPriceMinor, l.currency),
  amount: (l) => money(l.amountMinor, l.currency),
};

export const InvoiceConnection: InvoiceConnectionResolvers = {
  edges: (c) => c.page.items.map((node, index) => ({ node, cursor: c.page.cursors[index]! })),
  // Relay: start/end cursors are the first and last edges' cursors (the billing API accepts
  // either kind as `after`), so `after: endCursor` continues even from the last page.
  pageInfo: (c) => ({
    hasNextPage: c.page.nextCursor !== null && c.page.nextCursor !== undefined,
    hasPreviousPage: c.page.hasPrevious,
    startCursor: c.page.cursors[0] ?? null,
    endCursor: c.page.cursors.at(-1) ?? null,
  }),
  totalCount: (c) => c.page.totalCount,
};

export const InvoiceEdge: InvoiceEdgeResolvers = {
  cursor: (e) => e.cursor,
  node: (e) => e.node,
};

export const PageInfo: PageInfoResolvers = {
  hasNextPage: (p) => p.hasNextPage,
  hasPreviousPage: (p) => p.hasPreviousPage,
  startCursor: (p) => p.startCursor ?? null,
  endCursor: (p) => p.endCursor ?? null,
};
