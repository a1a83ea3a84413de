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
  /** Contextual leaves, and request-constant composites of them (see `compileRule`). */
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
 * A composite whose every leaf is `contextual` (or allow/deny) is request-constant: its
 * verdict is a function of memoised leaf verdicts, so it is memoised per request as a whole
 * and a field guarded by `or(hasPermission(x), isSupportStaff)` costs one map lookup.
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
    known = kind === 'rule' ? (node as unknown as LeafRule).cache === 'contextual' : ruleChildren(node).every(isRequestConstant);
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
  if (kind === 'rule') return buildLeaf(node as unknown as LeafRule, node);
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
      const error = (node as unknown as LogicRuleShape).error;
      const child = children[0]!;
      const negate = (verdict: Verdict): Verdict => (verdict === true ? (error ?? false) : true);
      evaluator = (parent, args, ctx, info) => {
        const verdict = child(parent, args, ctx, info);
        return verdict instanceof Promise ? verdict.then(negate) : negate(verdict);
      };
      break;
    }
  }
  if (!isRequestConstant(node)) return evaluator;
  const raw = evaluator;
  return (parent, args, ctx, info) => {
    const memo = ctx.authz.contextual;
    const hit = memo.get(node);
    return hit !== undefined ? hit : remember(memo, node, raw(parent, args, ctx, info));
  };
}

function buildLeaf(leaf: LeafRule, node: IRule): CompiledRule {
  const mode = leaf.cache;
  if (mode === 'no_cache') return (parent, args, ctx, info) => call(leaf, parent, args, ctx, info);
  if (mode === 'contextual') {
    return (parent, args, ctx, info) => {
      const memo = ctx.authz.contextual;
      const hit = memo.get(node);
      return hit !== undefined ? hit : remember(memo, node, call(leaf, parent, args, ctx, info));
    };
  }
  if (typeof mode === 'function') {
    return (parent, args, ctx, info) => {
      const memo = ctx.authz.keyed;
      const key = `${leaf.name}-${mode(parent, args, ctx, info)}`;
      const hit = memo.get(key);
      return hit !== undefined ? hit : remember(memo, key, call(leaf, parent, args, ctx, info));
    };
  }
  // strict: same parent object and same arguments. Identity, not a deep hash: loaders hand
  // out one object per record, so identity is both correct and O(1).
  return (parent, args, ctx, info) => {
    const cache = ctx.authz;
    const owner = typeof parent === 'object' && parent !== null ? parent : ROOT;
    let byRule = cache.strict.get(owner);
    if (byRule === undefined) {
      byRule = new Map();
      cache.strict.set(owner, byRule);
    }
    let byArgs = byRule.get(node);
    if (byArgs === undefined) {
      byArgs = new Map();
      byRule.set(node, byArgs);
    }
    const key = argsKey(args);
    const hit = byArgs.get(key);
    return hit !== undefined ? hit : remember(byArgs, key, call(leaf, parent, args, ctx, info));
  };
}

function remember<K>(map: Map<K, MaybeVerdict>, key: K, verdict: MaybeVerdict): MaybeVerdict {
  map.set(key, verdict);
  // Replace the promise by its value so later reads are synchronous.
  if (verdict instanceof Promise) void verdict.then((settled) => map.set(key, settled));
  return verdict;
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

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function argsKey(args: Record<string, unknown>): string {
  for (const _ in args) return JSON.stringify(args);
  return '';
}
