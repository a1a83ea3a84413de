import type { CustomerResolvers, UserResolvers } from './__generated__/resolvers-types.js';
import { BadUserInputError } from '../errors.js';

export const Customer: CustomerResolvers = {
  id: (c) => c.id,
  name: (c) => c.name,
  users: (c, _a, ctx) => ctx.loaders.usersByCustomer.load(c.id),
  billingAccount: (c, _a, ctx) => ctx.loaders.billingAccountByCustomer.load(c.id),
  invoices: async (c, { first, after }, ctx) => {
    if (first < 1) throw new BadUserInputError('first must be at least 1.');
    // Larger pages are clamped, not refused: SPAs asking for "everything" still get a page.
    const limit = Math.min(first, ctx.maxPageSize);
    return { page: await ctx.loaders.invoicePage.load({ customerId: c.id, limit, after: after ?? null }) };
  },
  licenses: (c, _a, ctx) => ctx.loaders.licensesByCustomer.load(c.id),
  usage: (c, _a, ctx) => ctx.loaders.usageByCustomer.load(c.id),
};

const ROLES = { admin: 'ADMIN', member: 'MEMBER', support: 'SUPPORT' } as const;

export const User: UserResolvers = {
  id: (u) => u.id,
  name: (u) => u.name,
  email: (u) => u.email,
  role: (u) => ROLES[u.role],
  customer: (u, _a, ctx) => (u.customerId ? ctx.loaders.customer.load(u.customerId) : null),
};
