import type { GraphQLResolveInfo } from 'graphql';
import { and, deny, or, rule } from 'graphql-shield';
import { evaluate, RuleCache } from '../../../src/authz/engine.js';
import { mulberry32 } from '../../../src/demo/random.js';
import { describeVerdict, randomRuleTree, shieldVerdict } from '../../helpers/rule-trees.js';

test('the lean engine decides exactly as graphql-shield on 2,000 random rule trees', async () => {
  const random = mulberry32(20261129);
  let compared = 0;
  for (let i = 0; i < 2000; i++) {
    const tree = randomRuleTree(random, ['no_cache']);
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
