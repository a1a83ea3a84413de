import type { ViewerResolvers } from './__generated__/resolvers-types.js';

export const Viewer: ViewerResolvers = {
  subject: (v) => v.principal.subject,
  clientId: (v) => v.principal.clientId,
  user: async (_v, _a, ctx) => (await ctx.identity.resolve()).user,
  customer: async (_v, _a, ctx) => {
    const { customerId } = await ctx.identity.resolve();
    return customerId === null ? null : ctx.loaders.customer.load(customerId);
  },
  permissions: (v) => [...v.principal.permissions].sort(),
  entitlements: async (_v, _a, ctx) => {
    const { customerId } = await ctx.identity.resolve();
    return customerId === null ? [] : [...(await ctx.identity.entitlements(customerId))].sort();
  },
  isSupportStaff: (_v, _a, ctx) => ctx.identity.isSupportStaff,
};
