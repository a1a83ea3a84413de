import type { GraphQLResolveInfo } from 'graphql';
import { leafRule, notError, ruleChildren, ruleKind, shieldHash, type IRule, type LeafRule } from './shield-rules.js';

/**
 * Evaluates graphql-shield rule trees with the same verdicts as graphql-shield 7.6 (its
 * `rule.resolve`, which stock `shield()` runs per field), but synchronously whenever the
 * rules answer synchronously. See docs/authorization.md, "The lean rule path".
 *
 * Caching follows shield exactly: results live under shield's own keys (`name` for
 * contextual, `name-key` for cache-key functions, `name-objecthash({parent, args})` for
 * strict), and a result is kept only when the rule function's raw return value is truthy
 * (shield's `if (!ctx._shield.cache[key])`): a promise is kept whatever it settles to, a
 * synchronous `false`, `undefined`, `''` or `0` and a throw are computed again next time.
 */

export type { IRule } from './shield-rules.js';

/** What a rule says: allowed, denied, or denied with a specific error. */
export type Verdict = true | false | Error;
/** A verdict now, or later. */
export type MaybeVerdict = Verdict | Promise<Verdict>;

/** Per-request memo of rule results, the counterpart of shield's `ctx._shield.cache`. */
export class RuleCache {
  /** Leaf results under shield's cache keys; only results shield would keep. */
  readonly results = new Map<string, MaybeVerdict>();
  /** Verdicts of request-constant composites that can no longer change (see `compileRule`). */
  readonly composites = new Map<IRule, MaybeVerdict>();
  /**
   * Counts contextual leaf evaluations whose result shield would not keep (falsy or
   * thrown). A composite evaluated without this moving read only kept results, so shield
   * would decide it the same way for the rest of the request.
   */
  uncached = 0;
  /**
   * @param onRuleError called when a rule (or its cache key) throws or rejects (to log it).
   * @param failureVerdict what a failed rule amounts to: a denial always; by default a plain
   *   `false` as in shield, or a typed error the client may see (e.g. an upstream outage).
   */
  constructor(
    readonly onRuleError: (name: string, error: unknown) => void = () => {},
    readonly failureVerdict: (error: unknown) => false | Error = () => false,
  ) {}
}

/** A rule compiled for evaluation: same verdicts as `evaluate(rule, ...)`. */
export type CompiledRule = (
  parent: unknown,
  args: Record<string, unknown>,
  ctx: { authz: RuleCache },
  info: GraphQLResolveInfo,
) => MaybeVerdict;

// Rule trees are immutable once built, so each node is compiled once, whatever uses it.
const compiledRules = new WeakMap<object, CompiledRule>();
const requestConstant = new WeakMap<object, boolean>();

/** Evaluates `node` for one field; synchronous unless some rule on the way is asynchronous. */
export function evaluate(
  node: IRule,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: { authz: RuleCache },
  info: GraphQLResolveInfo,
): MaybeVerdict {
  return compileRule(node)(parent, args, ctx, info);
}

/**
 * Compiles a rule tree into nested closures, so evaluating it allocates nothing on the
 * synchronous path: no child arrays, no per-call closures, no dispatch on the rule's class.
 * A composite whose every leaf is `contextual` (or allow/deny) is request-constant: once an
 * evaluation of it read only results shield keeps for the whole request, its verdict is
 * memoised and later evaluations cost one map lookup. If any leaf answered something shield
 * recomputes (a falsy result, a throw), nothing is memoised, so a later change in the
 * context is seen exactly when shield sees it.
 */
export function compileRule(node: IRule): CompiledRule {
  let compiled = compiledRules.get(node);
  if (compiled === undefined) {
    compiled = build(node);
    compiledRules.set(node, compiled);
  }
  return compiled;
}

/** True when the rule's verdict depends on the request only (allow, deny, contextual leaves and logic over them). */
export function isRequestConstant(node: IRule): boolean {
  let known = requestConstant.get(node);
  if (known === undefined) {
    const kind = ruleKind(node);
    known = kind === 'rule' ? leafRule(node).cache === 'contextual' : ruleChildren(node).every(isRequestConstant);
    requestConstant.set(node, known);
  }
  return known;
}

const ALLOW: CompiledRule = () => true;
const DENY: CompiledRule = () => false;

function build(node: IRule): CompiledRule {
  const kind = ruleKind(node);
  if (kind === 'allow') return ALLOW;
  if (kind === 'deny') return DENY;
  if (kind === 'rule') return buildLeaf(leafRule(node));
  const children = ruleChildren(node).map(compileRule);
  let evaluator: CompiledRule;
  switch (kind) {
    case 'and':
      evaluator = buildAll(children, false);
      break;
    case 'or':
      evaluator = buildAll(children, true);
      break;
    case 'chain':
      evaluator = buildSequence(children, false);
      break;
    case 'race':
      evaluator = buildSequence(children, true);
      break;
    case 'not': {
      const error = notError(node);
      const child = children[0]!;
      const negate = (verdict: Verdict): Verdict => (verdict === true ? (error ?? false) : true);
      evaluator = (parent, args, ctx, info) => {
        const verdict = child(parent, args, ctx, info);
        return verdict instanceof Promise ? verdict.then(negate) : negate(verdict);
      };
      break;
    }
  }
  return isRequestConstant(node) ? memoised(node, evaluator) : evaluator;
}

// A request-constant composite: memoised once an evaluation read only kept results. An
// asynchronous evaluation is checked when it settles; anything else that recomputed a leaf
// meanwhile also prevents the memo, which only costs a later re-evaluation.
function memoised(node: IRule, evaluator: CompiledRule): CompiledRule {
  return (parent, args, ctx, info) => {
    const cache = ctx.authz;
    const hit = cache.composites.get(node);
    if (hit !== undefined) return hit;
    const before = cache.uncached;
    const verdict = evaluator(parent, args, ctx, info);
    if (verdict instanceof Promise) {
      return verdict.then((settled) => {
        if (cache.uncached === before) cache.composites.set(node, settled);
        return settled;
      });
    }
    if (cache.uncached === before) cache.composites.set(node, verdict);
    return verdict;
  };
}

function buildLeaf(leaf: LeafRule): CompiledRule {
  const { name, cache: mode } = leaf;
  if (mode === 'no_cache') return (parent, args, ctx, info) => call(leaf, parent, args, ctx, info);
  if (mode === 'contextual') {
    return (parent, args, ctx, info) => {
      const hit = ctx.authz.results.get(name);
      return hit !== undefined ? hit : callAndKeep(leaf, name, parent, args, ctx, info);
    };
  }
  if (typeof mode === 'function') {
    return (parent, args, ctx, info) => {
      let key: string;
      try {
        // The template literal is shield's: a key function that throws, or answers a value
        // that cannot become a string (a symbol), fails the rule instead of the request.
        key = `${name}-${mode(parent, args, ctx, info)}`;
      } catch (error) {
        return failed(leaf, ctx, error);
      }
      const hit = ctx.authz.results.get(key);
      return hit !== undefined ? hit : callAndKeep(leaf, key, parent, args, ctx, info);
    };
  }
  if (mode === 'strict') {
    // Shield's own key: object-hash of parent and arguments. Primitive parents, Maps,
    // symbols, BigInts and cycles are told apart (or not) exactly as shield does; a value
    // object-hash refuses fails the rule.
    return (parent, args, ctx, info) => {
      let key: string;
      try {
        key = `${name}-${shieldHash({ parent, args })}`;
      } catch (error) {
        return failed(leaf, ctx, error);
      }
      const hit = ctx.authz.results.get(key);
      return hit !== undefined ? hit : callAndKeep(leaf, key, parent, args, ctx, info);
    };
  }
  // Shield throws "Unsupported cache format" on every evaluation and denies.
  const unsupported = new Error(`Unsupported cache format: ${typeof mode.invalid}`);
  return (_parent, _args, ctx) => failed(leaf, ctx, unsupported);
}

function failed(leaf: LeafRule, ctx: { authz: RuleCache }, error: unknown): false | Error {
  ctx.authz.onRuleError(leaf.name, error);
  return ctx.authz.failureVerdict(error);
}

function call(
  leaf: LeafRule,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: { authz: RuleCache },
  info: GraphQLResolveInfo,
): MaybeVerdict {
  let result: unknown;
  try {
    result = leaf.func(parent, args, ctx, info);
  } catch (error) {
    return failed(leaf, ctx, error);
  }
  return isThenable(result) ? settle(leaf, result, ctx) : normalise(result);
}

// Shield's writeToCache: run the rule and keep its raw result under `key` if it is truthy.
// A kept promise is replaced by its verdict once settled, so later reads are synchronous.
function callAndKeep(
  leaf: LeafRule,
  key: string,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: { authz: RuleCache },
  info: GraphQLResolveInfo,
): MaybeVerdict {
  const cache = ctx.authz;
  let result: unknown;
  try {
    result = leaf.func(parent, args, ctx, info);
  } catch (error) {
    cache.uncached++;
    return failed(leaf, ctx, error);
  }
  if (isThenable(result)) {
    const pending = settle(leaf, result, ctx);
    cache.results.set(key, pending);
    void pending.then((verdict) => cache.results.set(key, verdict));
    return pending;
  }
  const verdict = normalise(result);
  if (result) cache.results.set(key, verdict);
  else cache.uncached++;
  return verdict;
}

function settle(leaf: LeafRule, result: PromiseLike<unknown>, ctx: { authz: RuleCache }): Promise<Verdict> {
  return Promise.resolve(result).then(normalise, (error: unknown) => failed(leaf, ctx, error));
}

/** shield's reading of a rule's return value. */
function normalise(result: unknown): Verdict {
  if (result === true) return true;
  if (result instanceof Error) return result;
  if (typeof result === 'string') return new Error(result);
  return false;
}

// and / or: every child is evaluated, in declaration order (as shield's Promise.all does);
// the verdict is true when all (and) or any (or) child is true, else the first error in
// declaration order, else false. The synchronous path folds verdicts as they come.
function buildAll(children: CompiledRule[], any: boolean): CompiledRule {
  const count = children.length;
  return (parent, args, ctx, info) => {
    let decided = !any; // and: "all true so far"; or: "one true so far"
    let error: Error | undefined;
    for (let i = 0; i < count; i++) {
      const verdict = children[i]!(parent, args, ctx, info);
      if (verdict instanceof Promise) return settleAll(children, i, verdict, decided, error, any, parent, args, ctx, info);
      if (any ? verdict === true : verdict !== true) decided = any;
      if (error === undefined && verdict instanceof Error) error = verdict;
    }
    return decided ? true : (error ?? false);
  };
}

// The asynchronous remainder of buildAll: the prefix is folded into (decided, error).
function settleAll(
  children: CompiledRule[],
  from: number,
  first: Promise<Verdict>,
  decided: boolean,
  error: Error | undefined,
  any: boolean,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: { authz: RuleCache },
  info: GraphQLResolveInfo,
): Promise<Verdict> {
  const rest: MaybeVerdict[] = [first];
  for (let i = from + 1; i < children.length; i++) rest.push(children[i]!(parent, args, ctx, info));
  return Promise.all(rest).then((settled) => {
    for (const verdict of settled) {
      if (any ? verdict === true : verdict !== true) decided = any;
      if (error === undefined && verdict instanceof Error) error = verdict;
    }
    return decided ? true : (error ?? false);
  });
}

// chain stops at the first non-true, race at the first true; both in declaration order.
// A race that finds no true answers with the last error it met: shield collects race
// results in reverse order and reports the first error of that list.
function buildSequence(children: CompiledRule[], race: boolean): CompiledRule {
  const run = (
    from: number,
    lastError: Error | undefined,
    parent: unknown,
    args: Record<string, unknown>,
    ctx: { authz: RuleCache },
    info: GraphQLResolveInfo,
  ): MaybeVerdict => {
    for (let i = from; i < children.length; i++) {
      const verdict = children[i]!(parent, args, ctx, info);
      if (verdict instanceof Promise) {
        return verdict.then((settled) => {
          if (race ? settled === true : settled !== true) return settled;
          return run(i + 1, settled instanceof Error ? settled : lastError, parent, args, ctx, info);
        });
      }
      if (race ? verdict === true : verdict !== true) return verdict;
      if (verdict instanceof Error) lastError = verdict;
    }
    return race ? (lastError ?? false) : true;
  };
  return (parent, args, ctx, info) => run(0, undefined, parent, args, ctx, info);
}

/** True for promises and other thenables (objects or functions with a `then` method, as `await` reads them). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
