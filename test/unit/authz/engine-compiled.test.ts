import { execute, parse, type GraphQLResolveInfo } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import { applyPolicy, type Denial } from '../../../src/authz/apply.js';
import { compileRule, evaluate, isRequestConstant, RuleCache, type IRule, type Verdict } from '../../../src/authz/engine.js';
import { mulberry32 } from '../../../src/demo/random.js';

/**
 * The compiled engine (performance work for BENCHMARKS.md) against graphql-shield itself, with
 * every cache mode and repeated evaluation in one request, plus the request-constant memo and
 * the copy-free visibility filter.
 */

const info = {} as GraphQLResolveInfo;
const outcomes = [true, false, new Error('custom'), 'string error', 'throw', undefined] as const;
const caches = ['no_cache', 'contextual', 'strict', 'keyed'] as const;


// Unique names: shield caches by name, the engine by identity; with unique names both agree.
function randomTree(random: () => number, depth: number, counter: { n: number }): IRule {
  const pick = Math.floor(random() * (depth > 2 ? 3 : 9));
  if (pick < 3) {
    if (random() < 0.1) return random() < 0.5 ? allow : deny;
    const outcome = outcomes[Math.floor(random() * outcomes.length)]!;
    const async = random() < 0.5;
    const mode = caches[Math.floor(random() * caches.length)]!;
    const produce = () => {
      if (outcome === 'throw') throw new Error('rule bug');
      return outcome as never;
    };
    const cache = mode === 'keyed' ? () => 'k' : mode;
    return rule(`leaf-${counter.n++}`, { cache })(async ? async () => produce() : () => produce());
  }
  const children = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomTree(random, depth + 1, counter));
  switch (pick) {
    case 3:
      return and(...children);
    case 4:
      return or(...children);
    case 5:
      return chain(...children);
    case 6:
      return race(...children);
    case 7:
      return not(children[0]!, random() < 0.5 ? new Error('not error') : undefined);
    default:
      return or(...children);
  }
}

function describeVerdict(v: Verdict): string {
  return v instanceof Error ? `Error(${v.message})` : String(v);
}

test('with every cache mode, evaluated three times in one request, the engine decides as graphql-shield', async () => {
  const random = mulberry32(4242);
  const parent = { id: 'p' };
  for (let i = 0; i < 1500; i++) {
    const tree = randomTree(random, 0, { n: 0 });
    const shieldCtx = { _shield: { cache: {} } };
    const engineCtx = { authz: new RuleCache() };
    for (let repeat = 0; repeat < 3; repeat++) {
      const expected = (await (tree as unknown as { resolve: Function }).resolve(parent, {}, shieldCtx, info, {
        debug: false,
        allowExternalErrors: false,
        hashFunction: () => 'h',
      })) as Verdict;
      const actual = await evaluate(tree, parent, {}, engineCtx, info);
      expect(`${i}/${repeat}: ${describeVerdict(actual)}`).toBe(`${i}/${repeat}: ${describeVerdict(expected)}`);
    }
  }
});

test('a composite of contextual rules is request-constant: evaluated once per request, then one lookup', () => {
  let calls = 0;
  const a = rule('a', { cache: 'contextual' })(() => {
    calls++;
    return false;
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
  expect(first.authz.contextual.get(composite)).toBe(true);
  expect(evaluate(and(composite, perObject), {}, {}, first, info)).toBe(true);
  expect(calls).toBe(2);
  // A new request evaluates again.
  expect(evaluate(composite, {}, {}, { authz: new RuleCache() }, info)).toBe(true);
  expect(calls).toBe(4);
});

test('visibility keeps a list of visible objects as it is and drops hidden ones, logging one denial', async () => {
  const items = [{ id: '1', mine: true }, { id: '2', mine: false }, { id: '3', mine: true }];
  const everything = [{ id: '1', mine: true }, { id: '3', mine: true }];
  const returned: unknown[] = [];
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { mixed: [Item!]!, visible: [Item!]! } type Item { id: ID! }',
    resolvers: { Query: { mixed: () => items, visible: () => everything } },
  });
  const denials: Denial[] = [];
  const mine = rule('mine', { cache: 'no_cache' })((item: { mine: boolean }) => item.mine);
  applyPolicy(schema, { fields: { Query: { mixed: allow, visible: allow }, Item: { id: allow } }, visibility: { Item: mine } }, { onDenial: (_ctx, d) => denials.push(d) });
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
