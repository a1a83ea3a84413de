import type { GraphQLResolveInfo } from 'graphql';
import { evaluate, RuleCache } from '../../../src/authz/engine.js';
import { canReadBilling, canReadCustomers, isSupportStaff } from '../../../src/authz/rules.js';
import { policy } from '../../../src/authz/policy.js';
import { ForbiddenError } from '../../../src/errors.js';

/**
 * The policy's own building blocks, evaluated by the engine with a minimal request context:
 * what they decide and what the engine can keep for the rest of the request.
 */

const info = {} as GraphQLResolveInfo;

function requestContext(permissions: string[], support = false) {
  return {
    authz: new RuleCache(),
    principal: { permissions: new Set(permissions) },
    identity: {
      isSupportStaff: support,
      // A customer member who is not an admin: enough for isSelf and isCustomerAdmin.
      resolve: () => ({ user: { id: 'u-self', role: 'member' }, customerId: 'c-1' }),
    },
  };
}

test('a caller who is not support staff has the permission composites decided once per request', () => {
  const alice = requestContext(['read:billing', 'read:customers']);
  expect(evaluate(canReadBilling, {}, {}, alice, info)).toBe(true);
  expect(evaluate(canReadCustomers, {}, {}, alice, info)).toBe(true);
  // Memoised: every later field guarded by them costs one lookup, no rule call.
  expect(alice.authz.composites.get(canReadBilling)).toBe(true);
  expect(alice.authz.composites.get(canReadCustomers)).toBe(true);

  // Without the permission: the refusal still names it (the first error of the `or`), and is kept too.
  const bob = requestContext(['read:customers']);
  const refused = evaluate(canReadBilling, {}, {}, bob, info);
  expect(refused).toBeInstanceOf(ForbiddenError);
  expect((refused as ForbiddenError).permission).toBe('read:billing');
  expect(bob.authz.composites.get(canReadBilling)).toBe(refused);
});

test('support staff read without the permission; anyone else gets the plain FORBIDDEN a false would give', () => {
  expect(evaluate(canReadBilling, {}, {}, requestContext(['support:read'], true), info)).toBe(true);
  const notStaff = evaluate(isSupportStaff, {}, {}, requestContext([]), info);
  expect(notStaff).toBeInstanceOf(ForbiddenError);
  expect((notStaff as ForbiddenError).permission).toBeUndefined();
  expect((notStaff as ForbiddenError).extensions.code).toBe('FORBIDDEN');

  // Another user's email, seen by a member who is neither that user, an admin nor support staff.
  const email = policy.fields.User!.email!;
  const verdict = evaluate(email, { id: 'u-other' }, {}, requestContext(['read:customers']), info);
  expect(verdict).toBeInstanceOf(ForbiddenError);
  expect((verdict as ForbiddenError).message).toBe(new ForbiddenError().message);
  expect(evaluate(email, { id: 'u-self' }, {}, requestContext(['read:customers']), info)).toBe(true);
});
