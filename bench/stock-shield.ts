import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { and, chain, deny, not, or, race, rule, shield, type IRules } from 'graphql-shield';
import { ruleChildren, ruleKind, ruleName, type IRule } from '../src/authz/engine.js';
import type { Policy } from '../src/authz/apply.js';
import { ForbiddenError } from '../src/errors.js';
import { createSchema } from '../src/schema.js';

/**
 * The comparison point of the benchmark and of the differential test: the same rules applied
 * the way graphql-shield is commonly used, with stock `shield()` through graphql-middleware.
 * Ownership lives "on the type": every field of a customer-owned type carries the type's
 * visibility rule next to its own rule. Built only here, never a switch in the product.
 */

/** A graphql-shield rule map: type → field → rule. */
export type StockRuleMap = Record<string, Record<string, IRule>>;

/**
 * For each type T and field f of the policy: `and(policy.visibility[T], policy.fields[T][f])`
 * when T has a visibility rule, else the field rule. Fields the policy does not list stay
 * out of the map and fall to shield's `fallbackRule: deny`, as in the lean path.
 */
export function stockRuleMap(policy: Policy): StockRuleMap {
  const map: StockRuleMap = {};
  for (const [typeName, fields] of Object.entries(policy.fields)) {
    const visibility = policy.visibility[typeName];
    const rules: Record<string, IRule> = {};
    for (const [fieldName, rule] of Object.entries(fields)) rules[fieldName] = visibility === undefined ? rule : and(visibility, rule);
    map[typeName] = rules;
  }
  return uniqueRuleNames(map);
}

interface LeafShape {
  readonly name: string;
  readonly func: (...args: never[]) => unknown;
  readonly cache: 'strict' | 'contextual' | 'no_cache' | ((...args: never[]) => string);
}

/**
 * Stock shield refuses a rule tree in which two different rules share a name (its caches are
 * keyed by name). The lean engine keys by rule identity and does not care, so a policy may
 * reuse a name (e.g. one sentence for every ownership rule). Here each such rule gets a copy
 * with a unique name (`name #2`); decisions are unchanged: same function, same cache mode.
 */
export function uniqueRuleNames(map: StockRuleMap): StockRuleMap {
  const byName = new Map<string, Set<LeafShape['func']>>();
  const visit = (node: IRule): void => {
    if (ruleKind(node) === 'rule') {
      const leaf = node as unknown as LeafShape;
      let funcs = byName.get(leaf.name);
      if (funcs === undefined) byName.set(leaf.name, (funcs = new Set()));
      funcs.add(leaf.func);
    }
    for (const child of ruleChildren(node)) visit(child);
  };
  for (const fields of Object.values(map)) for (const node of Object.values(fields)) visit(node);

  const renamed = new Map<IRule, IRule>();
  const rebuild = (node: IRule): IRule => {
    const done = renamed.get(node);
    if (done !== undefined) return done;
    let next = node;
    const kind = ruleKind(node);
    if (kind === 'rule') {
      const leaf = node as unknown as LeafShape;
      const funcs = [...byName.get(ruleName(node))!];
      const index = funcs.indexOf(leaf.func);
      if (funcs.length > 1 && index > 0) next = rule(`${leaf.name} #${index + 1}`, { cache: leaf.cache as never })(leaf.func as never);
    } else if (kind !== 'allow' && kind !== 'deny') {
      const children = ruleChildren(node);
      const rebuilt = children.map(rebuild);
      if (rebuilt.some((child, i) => child !== children[i])) {
        if (kind === 'and') next = and(...rebuilt);
        else if (kind === 'or') next = or(...rebuilt);
        else if (kind === 'chain') next = chain(...rebuilt);
        else if (kind === 'race') next = race(...rebuilt);
        else next = not(rebuilt[0]!, (node as unknown as { error?: Error }).error);
      }
    }
    renamed.set(node, next);
    return next;
  };
  const result: StockRuleMap = {};
  for (const [typeName, fields] of Object.entries(map)) {
    result[typeName] = Object.fromEntries(Object.entries(fields).map(([field, node]) => [field, rebuild(node)]));
  }
  return result;
}

/**
 * `createSchema()` with `stockRuleMap(policy)` applied by stock shield. Denials answer the
 * product's FORBIDDEN (a fresh error each time, as the lean path does) so error codes line up;
 * errors a rule returns (LICENSE_REQUIRED, NOT_FOUND...) pass through (`allowExternalErrors`).
 * Shield keeps its cache in `ctx._shield`, which it creates on the context object.
 */
export function createStockSchema(policy: Policy, base: GraphQLSchema = createSchema()): GraphQLSchema {
  const permissions = shield(stockRuleMap(policy) as unknown as IRules, {
    allowExternalErrors: true,
    fallbackRule: deny,
    fallbackError: () => new ForbiddenError(),
  });
  return applyMiddleware(base, permissions);
}
