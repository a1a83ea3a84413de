import { execute, parse, type GraphQLResolveInfo } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { allow, and, or, rule } from 'graphql-shield';
import { applyPolicy, type Denial } from '../../../src/authz/apply.js';
import { compileRule, evaluate, isRequestConstant, RuleCache } from '../../../src/authz/engine.js';
import { mulberry32 } from '../../../src/demo/random.js';
import { describeVerdict, randomRuleTree, shieldContext, shieldVerdict } from '../../helpers/rule-trees.js';

/**
 * The compiled engine (performance work for BENCHMARKS.md) against graphql-shield itself, with
 * every cache mode and repeated evaluation in one request, plus the request-constant memo and
 * the copy-free visibility filter.
 */

const info = {} as GraphQLResolveInfo;
test('with every cache mode, evaluated three times in one request, the engine decides as graphql-shield', async () => {
  const random = mulberry32(4242);
  const parent = { id: 'p' };
  for (let i = 0; i < 1500; i++) {
    const tree = randomRuleTree(random, ['no_cache', 'contextual', 'strict', 'keyed']);
    const shieldCtx = shieldContext();
    const engineCtx = { state: shieldCtx.state, authz: new RuleCache() };
    for (let repeat = 0; repeat < 3; repeat++) {
      const expected = await shieldVerdict(tree, parent, shieldCtx);
      const actual = await evaluate(tree, parent, {}, engineCtx, info);
      expect(`${i}/${repeat}: ${describeVerdict(actual)}`).toBe(`${i}/${repeat}: ${describeVerdict(expected)}`);
    }
  }
});

test('a composite of contextual rules is memoised per request once its leaves answered what shield keeps', () => {
  let calls = 0;
  // An Error is truthy: shield keeps it for the request, like `true`.
  const a = rule('a', { cache: 'contextual' })(() => {
    calls++;
    return new Error('not a');
  });
  const b = rule('b', { cache: 'contextual' })(() => {
    calls++;
    return true;
  });
  const perObject = rule('per object', { cache: 'no_cache' })(() => true);
  const composite = or(a, b);
  expect(isRequestConstant(composite)).toBe(true);
  expect(isRequestConstant(and(composite, perObject))).toBe(false);
  expect(compileRule(composite)).toBe(compileRule(composite));

  const first = { authz: new RuleCache() };
  expect(evaluate(composite, {}, {}, first, info)).toBe(true);
  expect(first.authz.composites.get(composite)).toBe(true);
  expect(evaluate(and(composite, perObject), {}, {}, first, info)).toBe(true);
  expect(calls).toBe(2);
  // A new request evaluates again.
  expect(evaluate(composite, {}, {}, { authz: new RuleCache() }, info)).toBe(true);
  expect(calls).toBe(4);
});

test('a composite with a leaf that answered false is not memoised: shield asks that leaf again', () => {
  let asked = 0;
  const granted = rule('granted', { cache: 'contextual' })(() => true);
  const staff = rule('staff', { cache: 'contextual' })(() => {
    asked++;
    return false;
  });
  const composite = or(granted, staff);
  const ctx = { authz: new RuleCache() };
  expect(evaluate(composite, {}, {}, ctx, info)).toBe(true);
  expect(evaluate(composite, {}, {}, ctx, info)).toBe(true);
  expect(ctx.authz.composites.has(composite)).toBe(false);
  expect(asked).toBe(2);
});

test('visibility keeps a list of visible objects as it is and drops hidden ones, logging one denial', async () => {
  const items = [
    { id: '1', mine: true },
    { id: '2', mine: false },
    { id: '3', mine: true },
  ];
  const everything = [
    { id: '1', mine: true },
    { id: '3', mine: true },
  ];
  const returned: unknown[] = [];
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { mixed: [Item!]!, visible: [Item!]! } type Item { id: ID! }',
    resolvers: { Query: { mixed: () => items, visible: () => everything } },
  });
  const denials: Denial[] = [];
  const mine = rule('mine', { cache: 'no_cache' })((item: { mine: boolean }) => item.mine);
  applyPolicy(
    schema,
    { fields: { Query: { mixed: allow, visible: allow }, Item: { id: allow } }, visibility: { Item: mine } },
    { onDenial: (_ctx, d) => denials.push(d) },
  );
  // Capture what the wrapped resolvers hand to graphql-js.
  const fields = schema.getQueryType()!.getFields();
  for (const field of [fields.mixed!, fields.visible!]) {
    const wrapped = field.resolve!;
    field.resolve = (...args) => {
      const value = wrapped(...args);
      returned.push(value);
      return value;
    };
  }
  const result = await execute({ schema, document: parse('{ mixed { id } visible { id } }'), contextValue: { authz: new RuleCache() } });
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ mixed: [{ id: '1' }, { id: '3' }], visible: [{ id: '1' }, { id: '3' }] });
  expect(returned[1]).toBe(everything);
  expect(denials.map((d) => [d.path, d.kind])).toEqual([['mixed', 'visibility']]);
});
