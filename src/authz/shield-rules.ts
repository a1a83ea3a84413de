import { createRequire } from 'node:module';
import type { GraphQLResolveInfo } from 'graphql';
import { allow, and, chain, deny, inputRule, not, or, race, rule } from 'graphql-shield';

/**
 * The ONE place that knows graphql-shield 7.6's internals. Shield exports its rule
 * constructors but not its rule classes, and keeps the fields the engine needs (`func`,
 * `cache`, `fragment`) private in its typings. This module recovers the classes from the
 * constructors, checks at load time that every field it reads has the shape it expects, and
 * gives the rest of the engine typed accessors. If a graphql-shield upgrade changes any of
 * it, importing this module throws `ShieldInternalsChanged` naming what moved, instead of
 * the engine silently deciding differently from shield. The behaviour the engine mirrors
 * (caching, combinators) is pinned by test/unit/authz/conformance.test.ts.
 */

/** Any graphql-shield rule: a leaf from `rule()`/`inputRule()`, or a logic rule from `and`, `or`, `allow`... */
export type IRule = Parameters<typeof and>[number];

/** The kind of a rule node, for evaluation and for the permissions matrix. */
export type RuleKind = 'allow' | 'deny' | 'rule' | 'and' | 'or' | 'chain' | 'race' | 'not';

/** A cache-key function, as given to `rule({ cache })`. */
export type CacheKeyFunction = (parent: unknown, args: Record<string, unknown>, ctx: unknown, info: GraphQLResolveInfo) => unknown;

/**
 * A leaf's cache mode as shield normalised it (`true` → strict, `false` → no_cache).
 * `invalid` is anything else: shield throws on it at evaluation and denies every time.
 */
export type CacheMode = 'strict' | 'contextual' | 'no_cache' | CacheKeyFunction | { readonly invalid: unknown };

/** What the engine reads from a leaf rule. */
export interface LeafRule {
  readonly name: string;
  readonly cache: CacheMode;
  readonly func: (parent: unknown, args: Record<string, unknown>, ctx: unknown, info: GraphQLResolveInfo) => unknown;
  /** Set when the rule was declared with a `fragment` (which the engine does not support). */
  readonly fragment: unknown;
}

/** Thrown at load time when graphql-shield's internals no longer look like 7.6's. */
export class ShieldInternalsChanged extends Error {
  constructor(what: string) {
    super(
      `graphql-shield internals changed: ${what}. The lean rule engine reads them (src/authz/shield-rules.ts) and cannot ` +
        'guarantee shield-equal decisions any more; update that module and re-run test/unit/authz/conformance.test.ts.',
    );
    this.name = 'ShieldInternalsChanged';
  }
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new ShieldInternalsChanged(what);
}

// Reads a property without trusting the declared type: everything below is validated.
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

const prototypeOf = (value: unknown): object | null => Object.getPrototypeOf(value) as object | null;

// --- Classes, recovered from the public constructors. ---
const probeFunc = () => true;
const probeKey = () => 'k';
const probe = rule('probe', { cache: 'contextual' })(probeFunc);
const probeInput = inputRule('probe input')((yup) => yup.object());
const kinds = new Map<object | null, RuleKind>([
  [prototypeOf(allow), 'allow'],
  [prototypeOf(deny), 'deny'],
  [prototypeOf(probe), 'rule'],
  // inputRule() is a Rule whose function validates the arguments: a leaf like any other.
  [prototypeOf(probeInput), 'rule'],
  [prototypeOf(and(allow)), 'and'],
  [prototypeOf(or(allow)), 'or'],
  [prototypeOf(chain(allow)), 'chain'],
  [prototypeOf(race(allow)), 'race'],
  [prototypeOf(not(allow)), 'not'],
]);
check(kinds.size === 9 && !kinds.has(null) && !kinds.has(Object.prototype), 'rule classes are no longer nine distinct classes');
check(probeInput instanceof probe.constructor, 'inputRule() no longer builds a Rule');

// --- Leaf fields: name, func, cache (normalised), fragment. ---
check(field(probe, 'name') === 'probe', 'Rule.name');
check(field(probe, 'func') === probeFunc, 'Rule.func no longer holds the rule function');
check(field(probe, 'cache') === 'contextual', 'Rule.cache no longer holds the cache mode');
check(field(rule('p')(probeFunc), 'cache') === 'no_cache', 'the default cache mode is no longer no_cache');
check(field(rule('p', { cache: true })(probeFunc), 'cache') === 'strict', 'cache: true no longer means strict');
check(field(rule('p', { cache: false })(probeFunc), 'cache') === 'no_cache', 'cache: false no longer means no_cache');
check(field(rule('p', { cache: probeKey })(probeFunc), 'cache') === probeKey, 'Rule.cache no longer holds a cache-key function');
check(field(rule('p', { fragment: 'f' })(probeFunc), 'fragment') === 'f', 'Rule.fragment');
check(field(probeInput, 'cache') === 'strict' && typeof field(probeInput, 'func') === 'function', 'InputRule is no longer a strict Rule');
check(typeof probe.equals === 'function' && probe.equals(rule('other')(probeFunc)), 'Rule.equals no longer compares functions');
// The caching code the engine mirrors; its behaviour is pinned by the conformance suite.
check(typeof field(prototypeOf(probe), 'writeToCache') === 'function', 'Rule.writeToCache is gone (caching changed)');

// --- Logic fields: children and not()'s error. ---
const probeAnd = and(probe, allow);
check(probeAnd.getRules().length === 2 && probeAnd.getRules()[0] === probe, 'LogicRule.getRules()');
check(allow.getRules().length === 0 && deny.getRules().length === 0, 'allow/deny have children');
const probeNot = not(probe, 'no');
check(field(probeNot, 'error') instanceof Error && (field(probeNot, 'error') as Error).message === 'no', 'RuleNot.error');
check(field(not(probe), 'error') === undefined, 'RuleNot.error without an error');

// --- The strict-cache hash: object-hash exactly as graphql-shield resolves and calls it. ---
const requireHere = createRequire(import.meta.url);
const requireFromShield = createRequire(requireHere.resolve('graphql-shield'));
const objectHash: unknown = requireFromShield('object-hash');
check(typeof objectHash === 'function', "object-hash (shield's default hashFunction) is not a function");
const hashOf = objectHash as (value: unknown) => unknown;
const probeHash = hashOf({ parent: 'a', args: {} });
check(typeof probeHash === 'string' && /^[0-9a-f]{40}$/.test(probeHash), 'object-hash no longer answers a sha1 hex digest');
check(probeHash !== hashOf({ parent: 'b', args: {} }), 'object-hash no longer tells parents apart');

// --- Accessors. ---

/** Classifies a rule; throws for anything that is not one of graphql-shield 7.6's own rule classes. */
export function ruleKind(node: IRule): RuleKind {
  const kind = kinds.get(prototypeOf(node));
  if (kind !== undefined) return kind;
  const name = field(node, 'name');
  const maker = field(node, 'constructor');
  const className = typeof maker === 'function' ? maker.name : typeof node;
  throw new TypeError(
    `unsupported rule ${typeof name === 'string' ? `"${name}" ` : ''}(${className}): only the rules graphql-shield's own constructors build ` +
      '(rule, inputRule, and, or, chain, race, not, allow, deny) are supported, not subclasses or rules from another copy of graphql-shield',
  );
}

/** Children of a logic rule (empty for leaves, allow and deny). */
export function ruleChildren(node: IRule): readonly IRule[] {
  const kind = ruleKind(node);
  if (kind === 'rule') return [];
  return (node as ReturnType<typeof and>).getRules();
}

/** Name of a leaf rule (what shield keys its caches by). */
export function ruleName(node: IRule): string {
  const name = field(node, 'name');
  if (typeof name !== 'string') throw new TypeError(`rule without a name: ${String(node)}`);
  return name;
}

/** The fields of a leaf rule; throws when `node` is not a leaf. */
export function leafRule(node: IRule): LeafRule {
  if (ruleKind(node) !== 'rule') throw new TypeError(`not a leaf rule: ${ruleKind(node)}`);
  const cache = field(node, 'cache');
  const func = field(node, 'func');
  return {
    name: ruleName(node),
    cache:
      cache === 'strict' || cache === 'contextual' || cache === 'no_cache' || typeof cache === 'function'
        ? (cache as CacheMode)
        : { invalid: cache },
    // A missing function fails when called, as in shield (which then denies).
    func: typeof func === 'function' ? (func as LeafRule['func']) : () => (func as () => unknown)(),
    fragment: field(node, 'fragment'),
  };
}

/**
 * The error `not(rule, error)` answers when `rule` passes, or undefined for a plain `false`.
 * Shield returns `error` only when it is truthy; anything truthy that is not an Error would
 * reach the client as a field value, so it is refused.
 */
export function notError(node: IRule): Error | undefined {
  const error = field(node, 'error');
  if (!error) return undefined;
  if (error instanceof Error) return error;
  throw new TypeError(`not(rule, error): error must be an Error or a string, got ${typeof error}`);
}

/** True when two leaf rules are the same definition in shield's eyes (same rule function). */
export function sameDefinition(a: IRule, b: IRule): boolean {
  return field(a, 'func') === field(b, 'func');
}

/** Shield's default strict-cache key of `{ parent, args }` (object-hash, sha1 hex). May throw on unhashable values, as in shield. */
export function shieldHash(value: { parent: unknown; args: unknown }): string {
  return String(hashOf(value));
}

/** The options graphql-shield passes to `rule.resolve`: defaults, as `shield()` normalises them with no options but `fallbackRule`. */
export interface ShieldResolveOptions {
  readonly debug: boolean;
  readonly allowExternalErrors: boolean;
  readonly fallbackRule: IRule;
  readonly hashFunction: (value: { parent: unknown; args: unknown }) => string;
}

/** Runs graphql-shield's own `resolve` of a rule (the oracle of the conformance tests). */
export function shieldResolve(
  node: IRule,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: { _shield: { cache: Record<string, unknown> } },
  info: GraphQLResolveInfo,
  options: ShieldResolveOptions,
): Promise<unknown> {
  const resolve = node.resolve as (...params: unknown[]) => Promise<unknown>;
  return resolve.call(node, parent, args, ctx, info, options);
}
