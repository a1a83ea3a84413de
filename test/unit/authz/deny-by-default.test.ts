import { execute, parse } from 'graphql';
import { allow } from 'graphql-shield';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyPolicy, type Denial } from '../../../src/authz/apply.js';
import { RuleCache } from '../../../src/authz/engine.js';

// A schema with one allowed field and one the policy forgot: the forgotten one must be denied.
function build(onDenial: (d: Denial) => void) {
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { open: String, forgotten: String, secret: Secret } type Secret { value: String }',
    resolvers: { Query: { open: () => 'yes', forgotten: () => 'leaked', secret: () => ({ value: 'leaked' }) } },
  });
  return applyPolicy(schema, { fields: { Query: { open: allow, secret: allow } }, visibility: {} }, { onDenial: (_ctx, d) => onDenial(d) });
}

test('a field without a rule is denied with FORBIDDEN and its resolver never runs', async () => {
  const denials: Denial[] = [];
  const schema = build((d) => denials.push(d));
  const result = await execute({
    schema,
    document: parse('{ open forgotten secret { value } }'),
    contextValue: { authz: new RuleCache() },
  });
  expect(result.data).toEqual({ open: 'yes', forgotten: null, secret: { value: null } });
  expect(result.errors?.map((e) => [e.path?.join('.'), e.extensions.code])).toEqual([
    ['forgotten', 'FORBIDDEN'],
    ['secret.value', 'FORBIDDEN'],
  ]);
  expect(denials.map((d) => [d.field, d.rule])).toEqual([
    ['Query.forgotten', 'deny'],
    ['Secret.value', 'deny'],
  ]);
});
