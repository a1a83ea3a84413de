import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { allow, and, not, or, rule } from 'graphql-shield';
import { applyPolicy, type Policy } from '../../../src/authz/apply.js';
import type { IRule } from '../../../src/authz/shield-rules.js';
import { createAuthorizedSchema } from '../../../src/schema.js';

/**
 * What applyPolicy refuses up front, with a message naming the culprit: whatever shield()
 * refuses, and the shield features the lean engine does not implement (docs/authorization.md).
 * A refused policy leaves the schema untouched.
 */

const typeDefs = 'type Query { open: String, item: Item } type Item { id: ID }';
const fresh = (): GraphQLSchema => makeExecutableSchema({ typeDefs, resolvers: { Query: { open: () => 'open' } } });
const yes = rule('yes')(() => true);
const base: Policy = { fields: { Query: { open: allow, item: allow }, Item: { id: allow } }, visibility: {} };

function refusal(policy: Policy, options: object = {}): string {
  const schema = fresh();
  const before = schema.getQueryType()!.getFields().open!.resolve;
  try {
    applyPolicy(schema, policy, options);
  } catch (error) {
    // Nothing was wrapped: the refusal happens before any resolver is touched.
    expect(schema.getQueryType()!.getFields().open!.resolve).toBe(before);
    return (error as Error).message;
  }
  throw new Error('applyPolicy accepted the policy');
}

test('the shipped policy is accepted', () => {
  expect(() => createAuthorizedSchema()).not.toThrow();
});

test('duplicate names are found across fields and visibility, inside logic rules, and all named', () => {
  const a1 = rule('owns it')(() => true);
  const a2 = rule('owns it')(() => true);
  const b1 = rule('is admin', { cache: 'contextual' })(() => true);
  const b2 = rule('is admin', { cache: 'contextual' })(() => false);
  const message = refusal({
    fields: { Query: { open: and(a1, or(b1, yes)), item: allow }, Item: { id: not(b2) } },
    visibility: { Item: a2 },
  });
  expect(message).toContain('There seem to be multiple definitions of these rules: is admin, owns it');
});

test.each(['fallbackRule', 'fallbackError', 'allowExternalErrors', 'debug', 'hashFunction'])(
  'the shield() option %s is refused, naming it',
  (option) => {
    expect(refusal(base, { [option]: undefined })).toContain(`graphql-shield option "${option}" is not supported`);
  },
);

test('an unknown option is refused', () => {
  expect(refusal(base, { onDenail: () => {} })).toContain('unknown option "onDenail"');
});

test('a rule with a fragment is refused, naming the rule and the field', () => {
  const withFragment = rule('needs owner', { fragment: 'fragment X on Item { ownerId }' })(() => true);
  expect(refusal({ ...base, fields: { ...base.fields, Item: { id: and(yes, withFragment) } } })).toContain(
    'Item.id: rule "needs owner" declares a fragment',
  );
});

test('a cache mode shield does not know is refused (shield would deny on every evaluation: see conformance)', () => {
  const bogus = rule('bogus cache', { cache: 'per-request' as never })(() => true);
  expect(refusal({ ...base, visibility: { Item: bogus } })).toContain('visibility of Item: rule "bogus cache" has cache per-request');
});

test('objects that are not graphql-shield rules, or subclass its rule classes, are refused', () => {
  const lookalike: IRule = { name: 'lookalike', resolve: async () => true } as never;
  const subclassed = Object.setPrototypeOf(
    { name: 'subclassed', func: () => true, cache: 'no_cache' },
    Object.create(Object.getPrototypeOf(yes)),
  );
  expect(refusal({ ...base, fields: { ...base.fields, Item: { id: or(yes, lookalike) } } })).toContain(
    'Item.id: unsupported rule "lookalike" (Object): only the rules graphql-shield\'s own constructors build',
  );
  expect(refusal({ ...base, fields: { ...base.fields, Item: { id: subclassed } } })).toContain(
    'Item.id: unsupported rule "subclassed" (Rule)',
  );
});

test('not() with an error that is neither an Error nor a string is refused', () => {
  expect(refusal({ ...base, fields: { ...base.fields, Item: { id: not(yes, 42 as never) } } })).toContain('Item.id: not(rule, error)');
});

test("shield's '*' wildcard, type-wide rules, unknown types, fields and visibility types are refused, all named", () => {
  const message = refusal({
    fields: { Query: { '*': allow, open: allow, nope: allow }, Item: yes as never, Ghost: { id: allow } },
    visibility: { Phantom: yes },
  });
  expect(message).toContain('Query.* (the "*" wildcard is not supported');
  expect(message).toContain('Query.nope (no such field)');
  expect(message).toContain('Item (a rule for a whole type is not supported');
  expect(message).toContain('Ghost (no such object type)');
  expect(message).toContain('visibility of Phantom (no such type)');
});

test('a bare shield rule tree is not a policy', () => {
  expect(refusal({ Query: { open: allow } } as never)).toContain('a policy is { fields');
});
