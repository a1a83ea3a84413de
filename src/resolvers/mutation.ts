import type { MutationResolvers } from './__generated__/resolvers-types.js';

// The policy has checked permission, ownership of license and user, and seats before these
// run; the upstream re-checks atomically and its refusals arrive as the same typed errors.
export const Mutation: MutationResolvers = {
  assignLicenseSeat: async (_root, { licenseId, userId }, ctx) => {
    await ctx.upstreams.licenses.assignSeat(licenseId, userId, ctx.upstreamCall);
    ctx.loaders.assignmentsByLicense.clear(licenseId);
    return { licenseId, userId };
  },
  revokeLicenseSeat: async (_root, { licenseId, userId }, ctx) => {
    await ctx.upstreams.licenses.revokeSeat(licenseId, userId, ctx.upstreamCall);
    ctx.loaders.assignmentsByLicense.clear(licenseId);
    return { licenseId, userId };
  },
};
