import { isObjectType, type GraphQLSchema } from 'graphql';
import { leafRule, notError, ruleChildren, ruleKind, ruleName, sameDefinition, type IRule } from './shield-rules.js';

/**
 * What `applyPolicy` refuses before wrapping anything: the rule trees `shield()` itself
 * refuses (duplicate rule names, rules for types or fields the schema lacks), and the
 * graphql-shield features the lean engine does not implement, so a policy never silently
 * means something else than it would under shield. See docs/authorization.md.
 */

/** A policy `applyPolicy` cannot apply as graphql-shield would; the message names every offending rule, type or option. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(`applyPolicy: ${message}`);
    this.name = 'PolicyError';
  }
}

/** The policy as `validatePolicy` reads it (the shape of `Policy` in apply.ts). */
export interface PolicyShape {
  readonly fields: Readonly<Record<string, Readonly<Record<string, IRule>>>>;
  readonly visibility: Readonly<Record<string, IRule>>;
}

// shield() options, and why the lean path has no equivalent.
const SHIELD_OPTIONS: Readonly<Record<string, string>> = {
  fallbackRule: 'a field without a rule is always denied (as shield with fallbackRule: deny)',
  fallbackError: 'a denial answers FORBIDDEN, or the typed BffError the rule returned',
  allowExternalErrors: 'errors a rule returns pass through only when they are BffErrors; thrown errors always deny',
  debug: 'a rule that throws always denies; the error goes to RuleCache.onRuleError, never to the client',
  hashFunction: "strict caching always keys by object-hash, shield's default",
};
const APPLY_OPTIONS = new Set(['onDenial', 'onWait']);

/** Throws a `PolicyError` if `policy` or `options` use anything the engine does not apply exactly as graphql-shield. */
export function validatePolicy(schema: GraphQLSchema, policy: PolicyShape, options: object): void {
  validateOptions(options);
  if (typeof policy !== 'object' || policy === null || typeof policy.fields !== 'object' || typeof policy.visibility !== 'object') {
    throw new PolicyError('a policy is { fields: { Type: { field: rule } }, visibility: { Type: rule } }, not a bare shield rule tree');
  }
  validateCoordinates(schema, policy);

  const problems: string[] = [];
  const rules: [coordinate: string, rule: IRule][] = [];
  for (const [typeName, fields] of Object.entries(policy.fields)) {
    for (const [fieldName, rule] of Object.entries(fields)) rules.push([`${typeName}.${fieldName}`, rule]);
  }
  for (const [typeName, rule] of Object.entries(policy.visibility)) rules.push([`visibility of ${typeName}`, rule]);
  for (const [coordinate, rule] of rules) validateTree(rule, coordinate, problems);
  if (problems.length > 0) throw new PolicyError(`unsupported rules:\n- ${[...new Set(problems)].join('\n- ')}`);

  const duplicates = duplicateNames(rules.map(([, rule]) => rule));
  if (duplicates.length > 0) {
    // Shield's own message (validation.js), plus why: both key their caches by rule name.
    throw new PolicyError(
      `There seem to be multiple definitions of these rules: ${duplicates.join(', ')}. ` +
        'Different rules (different functions) must have different names: rule results are cached by name, as in graphql-shield, which refuses such a tree too.',
    );
  }
}

function validateOptions(options: object): void {
  for (const key of Object.keys(options)) {
    if (APPLY_OPTIONS.has(key)) continue;
    const why = SHIELD_OPTIONS[key];
    throw new PolicyError(
      why !== undefined
        ? `the graphql-shield option "${key}" is not supported by the lean rule path: ${why}`
        : `unknown option "${key}" (supported: ${[...APPLY_OPTIONS].join(', ')})`,
    );
  }
}

// Shield's generator refuses rules for types and fields the schema lacks; so does this.
function validateCoordinates(schema: GraphQLSchema, policy: PolicyShape): void {
  const missing: string[] = [];
  for (const [typeName, fields] of Object.entries(policy.fields)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) {
      missing.push(`${typeName} (no such object type)`);
      continue;
    }
    if (isRule(fields)) {
      missing.push(`${typeName} (a rule for a whole type is not supported: give each field its rule)`);
      continue;
    }
    const known = type.getFields();
    for (const fieldName of Object.keys(fields)) {
      if (fieldName === '*') missing.push(`${typeName}.* (the "*" wildcard is not supported: give each field its rule)`);
      else if (!Object.hasOwn(known, fieldName)) missing.push(`${typeName}.${fieldName} (no such field)`);
    }
  }
  for (const typeName of Object.keys(policy.visibility)) {
    if (schema.getType(typeName) === undefined) missing.push(`visibility of ${typeName} (no such type)`);
  }
  if (missing.length > 0) throw new PolicyError(`the policy has rules the schema cannot take: ${missing.join(', ')}`);
}

function isRule(value: unknown): boolean {
  try {
    ruleKind(value as IRule);
    return true;
  } catch {
    return false;
  }
}

function validateTree(node: IRule, coordinate: string, problems: string[]): void {
  let kind: ReturnType<typeof ruleKind>;
  try {
    kind = ruleKind(node);
    if (kind === 'not') notError(node);
  } catch (error) {
    problems.push(`${coordinate}: ${(error as Error).message}`);
    return;
  }
  if (kind === 'rule') {
    const leaf = leafRule(node);
    // Fragments only matter to graphql-middleware's fragment replacement, which the lean path does not run.
    if (leaf.fragment !== undefined) problems.push(`${coordinate}: rule "${leaf.name}" declares a fragment, which is not supported`);
    // Shield throws on these at evaluation and denies every time: always a mistake.
    if (typeof leaf.cache === 'object') {
      problems.push(`${coordinate}: rule "${leaf.name}" has cache ${String(leaf.cache.invalid)}, which graphql-shield does not know`);
    }
    return;
  }
  for (const child of ruleChildren(node)) validateTree(child, coordinate, problems);
}

/** Names shared by different rule definitions, exactly as graphql-shield's validateRuleTree finds them. */
export function duplicateNames(roots: readonly IRule[]): string[] {
  const byName = new Map<string, IRule>();
  const duplicates: string[] = [];
  const visit = (node: IRule): void => {
    if (ruleKind(node) !== 'rule') {
      ruleChildren(node).forEach(visit);
      return;
    }
    const name = ruleName(node);
    const known = byName.get(name);
    if (known === undefined) byName.set(name, node);
    else if (!sameDefinition(known, node) && !duplicates.includes(name)) {
      byName.set(name, node);
      duplicates.push(name);
    }
  };
  roots.forEach(visit);
  return duplicates;
}
