import type { GraphQLResolveInfo } from 'graphql';
import { and, deny, or, rule } from 'graphql-shield';
import { evaluate, RuleCache } from '../../../src/authz/engine.js';
import { mulberry32 } from '../../../src/demo/random.js';
import {
  ARGS,
  describeVerdict,
  keptShieldKeys,
  PARENTS,
  randomRuleTree,
  shieldContext,
  shieldVerdict,
  type RequestState,
} from '../../helpers/rule-trees.js';

const info = {} as GraphQLResolveInfo;
const TREES = 1500;
const STEPS = 6;

/**
 * graphql-shield (its own `resolve`, default object-hash) is the oracle. Each random tree is
 * evaluated STEPS times in one request, on random parents (root, strings, numbers, objects,
 * a deep-equal copy) and arguments (JSON-indistinguishable pairs, BigInt, a cycle, an
 * unhashable Promise), while the request state the leaves may read changes between
 * evaluations, so falsy results that shield recomputes must be recomputed.
 */
test(`on ${TREES} random trees x ${STEPS} evaluations per request the engine decides as graphql-shield and keeps the same cache entries`, async () => {
  const random = mulberry32(20261129);
  const draw = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let compared = 0;
  let stateChanges = 0;
  for (let i = 0; i < TREES; i++) {
    const tree = randomRuleTree(random, ['no_cache', 'contextual', 'strict', 'keyed']);
    const state: RequestState = { phase: 0 };
    const shieldCtx = shieldContext(state);
    const engineCtx = { state, authz: new RuleCache() };
    for (let step = 0; step < STEPS; step++) {
      if (step > 0 && random() < 0.5) {
        state.phase++;
        stateChanges++;
      }
      const parent = draw(PARENTS);
      const args = draw(ARGS);
      const expected = await shieldVerdict(tree, parent.value, shieldCtx, args.value);
      const actual = await evaluate(tree, parent.value, args.value, engineCtx, info);
      const where = `tree ${i}, step ${step}, parent #${parent.label}, args #${args.label}`;
      expect(`${where}: ${describeVerdict(actual)}`).toBe(`${where}: ${describeVerdict(expected)}`);
      compared++;
    }
    // Same keys kept for the rest of the request: the engine neither forgets nor freezes more than shield.
    expect([...engineCtx.authz.results.keys()].sort()).toEqual(keptShieldKeys(shieldCtx));
  }
  expect(compared).toBe(TREES * STEPS);
  expect(stateChanges).toBeGreaterThan(TREES);
});

test('a rule that answers synchronously is evaluated synchronously, and contextual results are reused', () => {
  let calls = 0;
  const counted = rule('counted', { cache: 'contextual' })(() => {
    calls++;
    return true;
  });
  const ctx = { authz: new RuleCache() };
  const tree = and(counted, or(counted, deny));
  expect(evaluate(tree, {}, {}, ctx, info)).toBe(true);
  expect(evaluate(tree, {}, {}, ctx, info)).toBe(true);
  expect(calls).toBe(1);
});

test('an asynchronous contextual rule is awaited once, then read synchronously', async () => {
  let calls = 0;
  const slow = rule('slow', { cache: 'contextual' })(async () => {
    calls++;
    return true;
  });
  const ctx = { authz: new RuleCache() };
  const first = evaluate(slow, {}, {}, ctx, info);
  expect(first).toBeInstanceOf(Promise);
  await first;
  expect(evaluate(slow, {}, {}, ctx, info)).toBe(true);
  expect(calls).toBe(1);
});

test('a throwing rule denies and is reported, never allows', () => {
  const reported: string[] = [];
  const broken = rule('broken')(() => {
    throw new Error('boom');
  });
  const verdict = evaluate(or(broken), {}, {}, { authz: new RuleCache((name) => reported.push(name)) }, info);
  expect(verdict).toBe(false);
  expect(reported).toEqual(['broken']);
});
