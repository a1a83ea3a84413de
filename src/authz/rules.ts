import { and, chain, or, rule } from 'graphql-shield';
import { BadUserInputError, ForbiddenError, LicenseRequiredError, NoFreeSeatError, NotAssignedError, NotFoundError } from '../errors.js';
import type { AuthzContext, CallerIdentity } from './context.js';
import { type IRule, ruleChildren } from './shield-rules.js';

/**
 * The building blocks of the policy. Each is a graphql-shield rule with a name that reads
 * as a sentence in the permissions matrix. Request-level rules are `contextual` (evaluated
 * once per request); rules about an object are evaluated where the object enters the
 * response. Rules return synchronously once the data they need is known.
 */

type Ctx = AuthzContext;
type Args = Record<string, unknown>;

/** Runs `check` on the caller's business identity, synchronously once it is known. */
function withIdentity<T>(ctx: Ctx, check: (identity: CallerIdentity) => T): T | Promise<T> {
  const identity = ctx.identity.resolve();
  return identity instanceof Promise ? identity.then(check) : check(identity);
}

/** Every request that reaches execution carries a verified token; this documents it. */
export const isAuthenticated = rule('authenticated', { cache: 'contextual' })((_p, _a, ctx: Ctx) => ctx.principal !== undefined);

/**
 * The token grants `permission` (from the configured permission claims; see `auth/principal.ts`). A denial is a FORBIDDEN that
 * names the permission: whatever composite this rule sits in, shield's semantics carry the
 * first error of a failed `and`/`or`/`chain` up to the field, so every field guarded by a
 * permission says which one, with no per-field wiring.
 */
export function hasPermission(permission: string) {
  return rule(`has permission ${permission}`, { cache: 'contextual' })(
    (_p, _a, ctx: Ctx) => ctx.principal.permissions.has(permission) || new ForbiddenError(permission),
  );
}

// One "no" for every caller who is not support staff. A rule's answer is kept for the request
// only when it is truthy (shield's cache), and an Error is: with a plain `false`, every field
// guarded by `or(hasPermission(...), isSupportStaff)` asked this rule again, so the composite
// was never memoised. The client sees the same FORBIDDEN as for `false`.
const NOT_SUPPORT_STAFF = new ForbiddenError();

/**
 * Support staff: `support:read` from a client trusted with it; read access to every customer,
 * no writes. Denies with an error rather than `false` so that the answer is kept (above).
 */
export const isSupportStaff = rule('is support staff', { cache: 'contextual' })(
  (_p, _a, ctx: Ctx) => ctx.identity.isSupportStaff || NOT_SUPPORT_STAFF,
);

/** The caller is linked to a business user. */
export const hasBusinessUser = rule('has a business user', { cache: 'contextual' })((_p, _a, ctx: Ctx) =>
  withIdentity(ctx, (identity) => identity.user !== null),
);

/** The caller is an admin of their customer. */
export const isCustomerAdmin = rule('is admin of their customer', { cache: 'contextual' })((_p, _a, ctx: Ctx) =>
  withIdentity(ctx, (identity) => identity.user?.role === 'admin' && identity.customerId !== null),
);

/**
 * The object belongs to the caller's customer, or the caller is support staff. The
 * customer comes from the upstream record, never from the request.
 */
export function ownsCustomerOf<T>(sentence: string, customerIdOf: (object: T) => string | null) {
  return rule(sentence, { cache: 'no_cache' })((object: T, _a, ctx: Ctx) => {
    if (ctx.identity.isSupportStaff) return true;
    const customerId = customerIdOf(object);
    // Runs once per object in a list: read the known identity without allocating a closure.
    const known = ctx.identity.known;
    if (known !== undefined) return known.customerId !== null && known.customerId === customerId;
    return withIdentity(ctx, (identity) => identity.customerId !== null && identity.customerId === customerId);
  });
}

/** A user may be seen by their customer's users, by themself, and by support staff. */
export const canSeeUser = rule("user belongs to the caller's customer, is the caller, or caller is support staff", { cache: 'no_cache' })(
  (user: { id: string; customerId?: string | null }, _a, ctx: Ctx) => {
    if (ctx.identity.isSupportStaff) return true;
    const known = ctx.identity.known;
    return known !== undefined ? seesUser(known, user) : withIdentity(ctx, (identity) => seesUser(identity, user));
  },
);

function seesUser(identity: CallerIdentity, user: { id: string; customerId?: string | null }): boolean {
  return identity.user?.id === user.id || (identity.customerId !== null && identity.customerId === user.customerId);
}

/** The user is the caller themself. */
export const isSelf = rule('is the caller themself', { cache: 'no_cache' })((user: { id: string }, _a, ctx: Ctx) =>
  withIdentity(ctx, (identity) => identity.user !== null && identity.user.id === user.id),
);

/**
 * The customer in scope holds an active, unexpired license granting `feature`. For a
 * customer's own users that is their customer; for support staff the customer they view.
 */
export function hasEntitlement<T>(feature: string, customerIdOf: (object: T) => string) {
  const entitlement = rule(`customer has entitlement ${feature}`, { cache: (object: T) => customerIdOf(object) })(
    (object: T, _a, ctx: Ctx) => {
      const granted = ctx.identity.entitlements(customerIdOf(object));
      const decide = (features: ReadonlySet<string>) => features.has(feature) || new LicenseRequiredError(feature);
      return granted instanceof Promise ? granted.then(decide) : decide(granted);
    },
  );
  ENTITLEMENT_RULES.add(entitlement);
  return entitlement;
}

// Rules that read the customer's licenses: a request asking for a field they guard looks
// the licenses up as soon as the caller's customer is known (see `needsEntitlements`).
const ENTITLEMENT_RULES = new WeakSet<object>();

/** True when `node` (a rule tree) contains a license entitlement rule. */
export function readsEntitlements(node: IRule): boolean {
  return ENTITLEMENT_RULES.has(node) || ruleChildren(node).some(readsEntitlements);
}

// --- Mutation input rules: they load through the same loaders the resolver then uses. ---

// Upstream ids are opaque but short and URL-safe; anything else is refused before any lookup.
const OPAQUE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `args.licenseId` and `args.userId` look like upstream ids (checked before any upstream call). */
export const seatArgsAreIds = rule('license and user arguments are well-formed ids', { cache: 'strict' })(
  (_p, args: Args) =>
    (OPAQUE_ID.test(String(args.licenseId)) && OPAQUE_ID.test(String(args.userId))) ||
    new BadUserInputError('licenseId and userId must be ids as returned by this API.'),
);

/** `args.licenseId` is a license of the caller's customer; anything else reads as "not found". */
export const licenseArgIsCallers = rule("license argument belongs to the caller's customer", { cache: 'strict' })(
  async (_p, args: Args, ctx: Ctx) => {
    const [license, identity] = await Promise.all([ctx.loaders.license.load(String(args.licenseId)), ctx.identity.resolve()]);
    return (license !== null && identity.customerId !== null && license.customerId === identity.customerId) || new NotFoundError('License');
  },
);

/** `args.userId` is a user of the caller's customer; anything else reads as "not found". */
export const userArgIsCallersCustomer = rule("user argument belongs to the caller's customer", { cache: 'strict' })(
  async (_p, args: Args, ctx: Ctx) => {
    const [user, identity] = await Promise.all([ctx.loaders.user.load(String(args.userId)), ctx.identity.resolve()]);
    return (user !== null && identity.customerId !== null && user.customerId === identity.customerId) || new NotFoundError('User');
  },
);

/** The license has a free seat (the upstream re-checks atomically when writing). */
export const licenseHasFreeSeat = rule('license has a free seat', { cache: 'strict' })(async (_p, args: Args, ctx: Ctx) => {
  const licenseId = String(args.licenseId);
  const [license, assignments] = await Promise.all([ctx.loaders.license.load(licenseId), ctx.loaders.assignmentsByLicense.load(licenseId)]);
  if (license === null) return new NotFoundError('License');
  return assignments.length < license.seats || new NoFreeSeatError();
});

/** The user currently holds a seat on the license. */
export const userHoldsSeat = rule('user holds a seat on the license', { cache: 'strict' })(async (_p, args: Args, ctx: Ctx) => {
  const assignments = await ctx.loaders.assignmentsByLicense.load(String(args.licenseId));
  return assignments.some((a) => a.userId === args.userId) || new NotAssignedError();
});

// --- Composites used across the policy. ---

/** `read:customers`, or support staff. */
export const canReadCustomers = or(hasPermission('read:customers'), isSupportStaff);
/** `read:billing`, or support staff. */
export const canReadBilling = or(hasPermission('read:billing'), isSupportStaff);
/** `read:licenses`, or support staff. */
export const canReadLicenses = or(hasPermission('read:licenses'), isSupportStaff);
/** `manage:licenses` as an admin of a customer (support staff never qualify: no customer). */
export const canManageLicenses = and(hasPermission('manage:licenses'), isCustomerAdmin);
/** Mutation guard for seat changes, cheapest checks first. */
export function seatChange(...extra: Parameters<typeof chain>) {
  return chain(canManageLicenses, seatArgsAreIds, licenseArgIsCallers, userArgIsCallersCustomer, ...extra);
}
