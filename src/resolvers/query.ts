import type { QueryResolvers } from './__generated__/resolvers-types.js';

// Ownership is not checked here: the policy's visibility rules drop foreign objects.
export const Query: QueryResolvers = {
  viewer: (_root, _args, ctx) => ({ principal: ctx.principal }),
  customer: (_root, { id }, ctx) => ctx.loaders.customer.load(id),
  invoice: (_root, { id }, ctx) => ctx.loaders.invoice.load(id),
  license: (_root, { id }, ctx) => ctx.loaders.license.load(id),
};
