import type { GraphQLResolveInfo } from 'graphql';
import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import { evaluate, RuleCache, type IRule, type Verdict } from '../../../src/authz/engine.js';
import { mulberry32 } from '../../../src/demo/random.js';

// Leaves of every behaviour a rule function can have, each synchronous and asynchronous.
const outcomes = [true, false, new Error('custom'), 'string error', 'throw', undefined] as const;
type Outcome = (typeof outcomes)[number];

function leaf(index: number, outcome: Outcome, async: boolean): IRule {
  const produce = () => {
    if (outcome === 'throw') throw new Error('rule bug');
    return outcome as never;
  };
  return rule(`leaf-${index}`, { cache: 'no_cache' })(async ? async () => produce() : () => produce());
}


function randomTree(random: () => number, depth: number, counter: { n: number }): IRule {
  const pick = Math.floor(random() * (depth > 2 ? 3 : 9));
  if (pick < 3) {
    if (random() < 0.1) return random() < 0.5 ? allow : deny;
    return leaf(counter.n++, outcomes[Math.floor(random() * outcomes.length)]!, random() < 0.5);
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
      return and(...children);
  }
}

/** What shield itself decides (its `resolve`, the code stock `shield()` runs per field). */
async function shieldVerdict(node: IRule): Promise<Verdict> {
  const ctx = { _shield: { cache: {} } };
  const result = await (node as unknown as { resolve: Function }).resolve({}, {}, ctx, {} as GraphQLResolveInfo, {
    debug: false,
    allowExternalErrors: false,
    hashFunction: () => 'h',
  });
  return result as Verdict;
}

function describeVerdict(v: Verdict): string {
  return v instanceof Error ? `Error(${v.message})` : String(v);
}

test('the lean engine decides exactly as graphql-shield on 2,000 random rule trees', async () => {
  const random = mulberry32(20261129);
  let compared = 0;
  for (let i = 0; i < 2000; i++) {
    const tree = randomTree(random, 0, { n: 0 });
    const expected = await shieldVerdict(tree);
    const actual = await evaluate(tree, {}, {}, { authz: new RuleCache() }, {} as GraphQLResolveInfo);
    expect(describeVerdict(actual)).toBe(describeVerdict(expected));
    compared++;
  }
  expect(compared).toBe(2000);
});

test('a rule that answers synchronously is evaluated synchronously, and contextual results are reused', () => {
  let calls = 0;
  const counted = rule('counted', { cache: 'contextual' })(() => {
    calls++;
    return true;
  });
  const ctx = { authz: new RuleCache() };
  const tree = and(counted, or(counted, deny));
  expect(evaluate(tree, {}, {}, ctx, {} as GraphQLResolveInfo)).toBe(true);
  expect(evaluate(tree, {}, {}, ctx, {} as GraphQLResolveInfo)).toBe(true);
  expect(calls).toBe(1);
});

test('an asynchronous contextual rule is awaited once, then read synchronously', async () => {
  let calls = 0;
  const slow = rule('slow', { cache: 'contextual' })(async () => {
    calls++;
    return true;
  });
  const ctx = { authz: new RuleCache() };
  const first = evaluate(slow, {}, {}, ctx, {} as GraphQLResolveInfo);
  expect(first).toBeInstanceOf(Promise);
  await first;
  expect(evaluate(slow, {}, {}, ctx, {} as GraphQLResolveInfo)).toBe(true);
  expect(calls).toBe(1);
});

test('a throwing rule denies and is reported, never allows', () => {
  const reported: string[] = [];
  const broken = rule('broken')(() => {
    throw new Error('boom');
  });
  const verdict = evaluate(or(broken), {}, {}, { authz: new RuleCache((name) => reported.push(name)) }, {} as GraphQLResolveInfo);
  expect(verdict).toBe(false);
  expect(reported).toEqual(['broken']);
});
