import type {
  LicenseAssignmentResolvers,
  LicenseResolvers,
  LicenseSeatPayloadResolvers,
  ProductResolvers,
  UsageForecastResolvers,
  UsageResolvers,
} from './__generated__/resolvers-types.js';
import { licenseStatus } from '../licensing.js';
import { required } from './billing.js';

export const License: LicenseResolvers = {
  id: (l) => l.id,
  customer: (l, _a, ctx) => required(ctx.loaders.customer.load(l.customerId), 'Customer'),
  product: (l) => ({ id: l.productId, name: l.productName }),
  features: (l) => l.features,
  seats: (l) => l.seats,
  seatsUsed: async (l, _a, ctx) => (await ctx.loaders.assignmentsByLicense.load(l.id)).length,
  validFrom: (l) => l.validFrom,
  validUntil: (l) => l.validUntil,
  status: (l, _a, ctx) => licenseStatus(l, ctx.now()),
  assignments: (l, _a, ctx) => ctx.loaders.assignmentsByLicense.load(l.id),
};

export const LicenseAssignment: LicenseAssignmentResolvers = {
  user: (a, _x, ctx) => ctx.loaders.user.load(a.userId),
  assignedAt: (a) => a.assignedAt,
};

export const Product: ProductResolvers = {
  id: (p) => p.id,
  name: (p) => p.name,
};

export const Usage: UsageResolvers = {
  period: (u) => u.period,
  activeUsers: (u) => u.activeUsers,
  apiCalls: (u) => u.apiCalls,
  storageGb: (u) => u.storageGb,
  forecast: (u) => u.forecast,
};

export const UsageForecast: UsageForecastResolvers = {
  period: (f) => f.period,
  apiCalls: (f) => f.apiCalls,
  confidence: (f) => f.confidence,
};

// The change is committed before any of these run: each field reads on its own and may be
// null with its own error, none can null the payload (every field needing I/O is nullable).
export const LicenseSeatPayload: LicenseSeatPayloadResolvers = {
  licenseId: (p) => p.licenseId,
  userId: (p) => p.userId,
  seats: async (p, _a, ctx) => (await ctx.loaders.license.load(p.licenseId))?.seats ?? null,
  seatsUsed: async (p, _a, ctx) => (await ctx.loaders.assignmentsByLicense.load(p.licenseId)).length,
  license: (p, _a, ctx) => required(ctx.loaders.license.load(p.licenseId), 'License'),
  user: (p, _a, ctx) => required(ctx.loaders.user.load(p.userId), 'User'),
};
