import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { and, deny, shield } from 'graphql-shield';
import type { IRule } from '../src/authz/shield-rules.js';
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
  return map;
}

/**
 * `createSchema()` with `stockRuleMap(policy)` applied by stock shield. Denials answer the
 * product's FORBIDDEN (a fresh error each time, as the lean path does) so error codes line up;
 * errors a rule returns (LICENSE_REQUIRED, NOT_FOUND...) pass through (`allowExternalErrors`).
 * Shield keeps its cache in `ctx._shield`, which it creates on the context object.
 */
export function createStockSchema(policy: Policy, base: GraphQLSchema = createSchema()): GraphQLSchema {
  const permissions = shield(stockRuleMap(policy), {
    allowExternalErrors: true,
    fallbackRule: deny,
    fallbackError: () => new ForbiddenError(),
  });
  return applyMiddleware(base, permissions);
}
