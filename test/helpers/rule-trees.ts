import { createRequire } from 'node:module';
import type { GraphQLResolveInfo } from 'graphql';
import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import type { Verdict } from '../../src/authz/engine.js';
import { shieldResolve, type IRule, type ShieldResolveOptions } from '../../src/authz/shield-rules.js';

/**
 * Random graphql-shield rule trees, parents and arguments for the engine-equivalence tests,
 * and graphql-shield itself as the oracle. Leaves get unique names, so shield accepts every
 * tree and the engine must decide exactly as shield does.
 */

// Shield's default hashFunction, loaded the way shield loads it (its own dependency), not
// through the engine's adapter: the oracle must not share code with what it checks.
const shieldRequire = createRequire(createRequire(import.meta.url).resolve('graphql-shield'));
const objectHash = shieldRequire('object-hash') as (value: unknown) => string;

/**
 * Every behaviour a rule function can have. Falsy results (false, undefined, null, 0, NaN,
 * '') are recomputed by shield's caches; truthy non-true ones (1, {}) deny but are kept;
 * '' is a string, hence an Error(''); 'throw' throws synchronously or rejects.
 */
const OUTCOMES = [true, false, new Error('custom'), 'string error', '', 'throw', undefined, null, 0, Number.NaN, 1, {}] as const;
type Outcome = (typeof OUTCOMES)[number];

/** Cache modes a random leaf may use; `keyed` is a cache-key function. */
export type LeafCache = 'no_cache' | 'contextual' | 'strict' | 'keyed';

/** Mutable request state that leaves may read; tests change `phase` between evaluations. */
export interface RequestState {
  phase: number;
}

/** A parent or an argument object, with a label the leaves read (identity for objects). */
interface Sample<T> {
  readonly value: T;
  readonly label: number;
}

const SYMBOL_A = Symbol('role');
const SYMBOL_B = Symbol('role');
const circular: Record<string, unknown> = { id: 'c' };
circular.self = circular;

/**
 * Parents: the root (undefined), strings and numbers (that shield keys apart), objects,
 * and a deep-equal copy (that shield's object-hash does not tell apart).
 */
export const PARENTS: readonly Sample<unknown>[] = labelled([
  undefined,
  null,
  'a',
  'b',
  '1',
  1,
  2,
  0,
  { id: 'a' },
  { id: 'a' },
  { id: 'b' },
  [1, 2],
]);

/**
 * Arguments, including pairs JSON.stringify cannot tell apart (symbol-backed enum values
 * with one description, Maps, a present-but-undefined key), BigInts and a cycle (which
 * JSON.stringify throws on), and a Promise (which object-hash throws on: shield denies).
 */
export const ARGS: readonly Sample<Record<string, unknown>>[] = labelled<Record<string, unknown>>([
  {},
  { id: 'a' },
  { id: 'b' },
  { role: SYMBOL_A },
  { role: SYMBOL_B },
  { filter: new Map([['status', 'open']]) },
  { filter: new Map([['status', 'paid']]) },
  { id: undefined },
  { n: 1n },
  { n: 2n },
  { node: circular },
  { pending: Promise.resolve(true) },
]);

function labelled<T>(values: readonly T[]): Sample<T>[] {
  return values.map((value, label) => ({ value, label }));
}

const labels = new Map<unknown, number>();
for (const sample of [...PARENTS, ...ARGS]) if (!labels.has(sample.value)) labels.set(sample.value, sample.label);
const labelOf = (value: unknown): number => labels.get(value) ?? 0;

/** What a leaf's outcome depends on, besides its table of outcomes. */
interface Dependence {
  readonly parent: boolean;
  readonly args: boolean;
  readonly state: boolean;
}

function stateOf(ctx: unknown): RequestState {
  return (ctx as { state: RequestState }).state;
}

// Key functions: constant, per parent, per request phase, a throw, a symbol (which shield's
// template literal cannot turn into a string: it throws), undefined.
const KEY_FUNCTIONS = [
  () => 'k',
  (parent: unknown) => `p${labelOf(parent)}`,
  (_parent: unknown, _args: unknown, ctx: unknown) => `s${stateOf(ctx).phase}`,
  () => {
    throw new Error('key bug');
  },
  () => Symbol('key'),
  () => undefined,
] as const;

/** A random graphql-shield rule tree over every combinator, cache mode and outcome. */
export function randomRuleTree(random: () => number, caches: readonly LeafCache[], depth = 0, counter = { n: 0 }): IRule {
  const pick = Math.floor(random() * (depth > 2 ? 3 : 9));
  if (pick < 3) {
    if (random() < 0.1) return random() < 0.5 ? allow : deny;
    return randomLeaf(random, caches, counter);
  }
  const children = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomRuleTree(random, caches, depth + 1, counter));
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
      return not(children[0]!, random() < 0.5 ? (random() < 0.5 ? new Error('not error') : 'not string') : undefined);
    default:
      return or(...children);
  }
}

function randomLeaf(random: () => number, caches: readonly LeafCache[], counter: { n: number }): IRule {
  const outcomes = Array.from({ length: 1 + Math.floor(random() * 3) }, () => OUTCOMES[Math.floor(random() * OUTCOMES.length)]!);
  const depends: Dependence = { parent: random() < 0.4, args: random() < 0.4, state: random() < 0.5 };
  const async = random() < 0.4;
  const mode = caches[Math.floor(random() * caches.length)]!;
  const cache = mode === 'keyed' ? KEY_FUNCTIONS[Math.floor(random() * KEY_FUNCTIONS.length)]! : mode;
  const produce = (parent: unknown, args: unknown, ctx: unknown): Outcome => {
    let index = 0;
    if (depends.parent) index += labelOf(parent);
    if (depends.args) index += labelOf(args);
    if (depends.state) index += stateOf(ctx).phase;
    const outcome = outcomes[index % outcomes.length]!;
    if (outcome === 'throw') throw new Error('rule bug');
    return outcome;
  };
  const func = async
    ? async (parent: unknown, args: unknown, ctx: unknown) => produce(parent, args, ctx)
    : (parent: unknown, args: unknown, ctx: unknown) => produce(parent, args, ctx);
  // Outcomes and key functions outside shield's typings (symbols, numbers, objects) on purpose: JavaScript callers can write them.
  return rule(`leaf-${counter.n++}`, { cache: cache as never })(func as never);
}

/** A request as graphql-shield sees it: the rules' state plus shield's per-request cache. */
export interface ShieldContext {
  readonly state: RequestState;
  readonly _shield: { cache: Record<string, unknown> };
}

/** A fresh shield request context. */
export function shieldContext(state: RequestState = { phase: 0 }): ShieldContext {
  return { state, _shield: { cache: {} } };
}

/** The options `shield()` hands to every `rule.resolve`, as it normalises them by default (object-hash), with `fallbackRule: deny`. */
export const SHIELD_OPTIONS: ShieldResolveOptions = {
  debug: false,
  allowExternalErrors: false,
  fallbackRule: deny,
  hashFunction: objectHash,
};

/** What graphql-shield itself decides: its `resolve`, the code stock `shield()` runs per field. */
export async function shieldVerdict(
  node: IRule,
  parent: unknown,
  ctx: { _shield: { cache: Record<string, unknown> } } = shieldContext(),
  args: Record<string, unknown> = {},
): Promise<Verdict> {
  const verdict = await shieldResolve(node, parent, args, ctx, {} as GraphQLResolveInfo, SHIELD_OPTIONS);
  if (verdict === true || verdict === false || verdict instanceof Error) return verdict;
  throw new Error(`shield answered neither true, false nor an Error: ${String(verdict)}`);
}

/** The keys under which shield keeps a result for the rest of the request (truthy entries: falsy ones are recomputed). */
export function keptShieldKeys(ctx: { _shield: { cache: Record<string, unknown> } }): string[] {
  return Object.entries(ctx._shield.cache)
    .filter(([, value]) => Boolean(value))
    .map(([key]) => key)
    .sort();
}

/** A verdict as comparable text. */
export function describeVerdict(v: Verdict): string {
  return v instanceof Error ? `Error(${v.message})` : String(v);
}
