import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import type { GraphQLResolveInfo } from 'graphql';
import type { IRule as ShieldLeafRule } from 'graphql-shield';

/**
 * Evaluates graphql-shield rule trees the way `shield()` does (same results, same errors),
 * but synchronously whenever the rules can answer synchronously, and with per-request
 * caches keyed by object identity instead of object-hash. See docs/authorization.md.
 */

/** Any graphql-shield rule: a leaf from `rule()`, or a logic rule from `and`, `or`, `allow`... */
export type IRule = ShieldLeafRule | ReturnType<typeof and>;

/** What a rule says: allowed, denied, or denied with a specific error. */
export type Verdict = true | false | Error;
/** A verdict now, or later. */
export type MaybeVerdict = Verdict | Promise<Verdict>;

// graphql-shield does not export its rule classes; recover them from its constructors.
const probe = rule('probe')(() => true);
const RuleClass = probe.constructor;
const RuleTrue = allow.constructor;
const RuleFalse = deny.constructor;
const RuleAnd = and(allow).constructor;
const RuleOr = or(allow).constructor;
const RuleChain = chain(allow).constructor;
const RuleRace = race(allow).constructor;
const RuleNot = not(allow).constructor;

/** The parts of a leaf rule the engine reads (public on the instance, private in shield's typings). */
interface LeafRule {
  readonly name: string;
  readonly cache: 'strict' | 'contextual' | 'no_cache' | ((parent: unknown, args: unknown, ctx: unknown, info: unknown) => string);
  readonly func: (parent: unknown, args: Record<string, unknown>, ctx: unknown, info: GraphQLResolveInfo) => unknown;
}
interface LogicRuleShape {
  readonly rules: IRule[];
  readonly error?: Error;
}

/** The kind of a rule node, for evaluation and for the permissions matrix. */
export type RuleKind = 'allow' | 'deny' | 'rule' | 'and' | 'or' | 'chain' | 'race' | 'not';

/** Classifies a graphql-shield rule object. */
export function ruleKind(node: IRule): RuleKind {
  if (node instanceof RuleTrue) return 'allow';
  if (node instanceof RuleFalse) return 'deny';
  if (node instanceof RuleAnd) return 'and';
  if (node instanceof RuleOr) return 'or';
  if (node instanceof RuleChain) return 'chain';
  if (node instanceof RuleRace) return 'race';
  if (node instanceof RuleNot) return 'not';
  if (node instanceof RuleClass) return 'rule';
  throw new TypeError(`not a graphql-shield rule: ${String(node)}`);
}

/** Children of a logic rule (empty for leaves). */
export function ruleChildren(node: IRule): IRule[] {
  return (node as unknown as LogicRuleShape).rules ?? [];
}

/** Name of a leaf rule. */
export function ruleName(node: IRule): string {
  return (node as unknown as LeafRule).name;
}

/** Per-request memo of rule results, the counterpart of shield's `ctx._shield.cache`. */
export class RuleCache {
  readonly contextual = new Map<IRule, MaybeVerdict>();
  readonly keyed = new Map<string, MaybeVerdict>();
  readonly strict = new WeakMap<object, Map<IRule, Map<string, MaybeVerdict>>>();
  /**
   * @param onRuleError called when a rule throws or rejects (to log it).
   * @param failureVerdict what a failed rule amounts to: a denial always; by default a plain
   *   `false` as in shield, or a typed error the client may see (e.g. an upstream outage).
   */
  constructor(
    readonly onRuleError: (name: string, error: unknown) => void = () => {},
    readonly failureVerdict: (error: unknown) => false | Error = () => false,
  ) {}
}

const ROOT = {};

/** Evaluates `node` for one field; synchronous unless some rule on the way is asynchronous. */
export function evaluate(node: IRule, parent: unknown, args: Record<string, unknown>, ctx: { authz: RuleCache }, info: GraphQLResolveInfo): MaybeVerdict {
  switch (ruleKind(node)) {
    case 'allow':
      return true;
    case 'deny':
      return false;
    case 'rule':
      return evaluateLeaf(node as unknown as LeafRule, node, parent, args, ctx, info);
    case 'and':
      return combineAll(ruleChildren(node).map((child) => evaluate(child, parent, args, ctx, info)), allTrue);
    case 'or':
      return combineAll(ruleChildren(node).map((child) => evaluate(child, parent, args, ctx, info)), anyTrue);
    case 'chain':
      return sequence(ruleChildren(node), 0, parent, args, ctx, info, false);
    case 'race':
      return sequence(ruleChildren(node), 0, parent, args, ctx, info, true);
    case 'not': {
      const error = (node as unknown as LogicRuleShape).error;
      return then(evaluate(ruleChildren(node)[0]!, parent, args, ctx, info), (verdict) => (verdict === true ? (error ?? false) : true));
    }
  }
}

function evaluateLeaf(leaf: LeafRule, node: IRule, parent: unknown, args: Record<string, unknown>, ctx: { authz: RuleCache }, info: GraphQLResolveInfo): MaybeVerdict {
  const cache = ctx.authz;
  const run = () => call(leaf, parent, args, ctx, info);
  const mode = leaf.cache;
  if (mode === 'no_cache') return run();
  if (mode === 'contextual') return memo(cache.contextual, node, run);
  if (typeof mode === 'function') return memo(cache.keyed, `${leaf.name}-${mode(parent, args, ctx, info)}`, run);
  // strict: same parent object and same arguments. Identity, not a deep hash: loaders hand
  // out one object per record, so identity is both correct and O(1).
  const owner = typeof parent === 'object' && parent !== null ? parent : ROOT;
  let byRule = cache.strict.get(owner);
  if (byRule === undefined) cache.strict.set(owner, (byRule = new Map()));
  let byArgs = byRule.get(node);
  if (byArgs === undefined) byRule.set(node, (byArgs = new Map()));
  return memo(byArgs, argsKey(args), run);
}

function memo<K>(map: Map<K, MaybeVerdict>, key: K, run: () => MaybeVerdict): MaybeVerdict {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const verdict = run();
  map.set(key, verdict);
  // Replace the promise by its value so later reads are synchronous.
  if (verdict instanceof Promise) void verdict.then((settled) => map.set(key, settled));
  return verdict;
}

function call(leaf: LeafRule, parent: unknown, args: Record<string, unknown>, ctx: { authz: RuleCache }, info: GraphQLResolveInfo): MaybeVerdict {
  let result: unknown;
  try {
    result = leaf.func(parent, args, ctx, info);
  } catch (error) {
    ctx.authz.onRuleError(leaf.name, error);
    return ctx.authz.failureVerdict(error);
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(normalise, (error: unknown) => {
      ctx.authz.onRuleError(leaf.name, error);
      return ctx.authz.failureVerdict(error);
    });
  }
  return normalise(result);
}

/** shield's reading of a rule's return value. */
function normalise(result: unknown): Verdict {
  if (result === true) return true;
  if (result instanceof Error) return result;
  if (typeof result === 'string') return new Error(result);
  return false;
}

function allTrue(verdicts: Verdict[]): Verdict {
  if (verdicts.every((v) => v === true)) return true;
  return verdicts.find((v): v is Error => v instanceof Error) ?? false;
}

function anyTrue(verdicts: Verdict[]): Verdict {
  if (verdicts.some((v) => v === true)) return true;
  return verdicts.find((v): v is Error => v instanceof Error) ?? false;
}

function combineAll(verdicts: MaybeVerdict[], combine: (all: Verdict[]) => Verdict): MaybeVerdict {
  for (const verdict of verdicts) if (verdict instanceof Promise) return Promise.all(verdicts).then(combine);
  return combine(verdicts as Verdict[]);
}

// chain stops at the first non-true, race at the first true; both in declaration order.
// A race that finds no true answers with the last error it met: shield collects race
// results in reverse order and reports the first error of that list.
function sequence(nodes: IRule[], index: number, parent: unknown, args: Record<string, unknown>, ctx: { authz: RuleCache }, info: GraphQLResolveInfo, race: boolean, lastError?: Error): MaybeVerdict {
  if (index >= nodes.length) return race ? (lastError ?? false) : true;
  return then(evaluate(nodes[index]!, parent, args, ctx, info), (verdict) => {
    if (race ? verdict === true : verdict !== true) return verdict;
    return sequence(nodes, index + 1, parent, args, ctx, info, race, verdict instanceof Error ? verdict : lastError);
  });
}

function then(verdict: MaybeVerdict, next: (verdict: Verdict) => MaybeVerdict): MaybeVerdict {
  return verdict instanceof Promise ? verdict.then(next) : next(verdict);
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function argsKey(args: Record<string, unknown>): string {
  for (const _ in args) return JSON.stringify(args);
  return '';
}
