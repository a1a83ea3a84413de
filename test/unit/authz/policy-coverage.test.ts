import { readFileSync } from 'node:fs';
import { isIntrospectionType, isNonNullType, isObjectType } from 'graphql';
import { allow } from 'graphql-shield';
import { ruleChildren, ruleKind, ruleName, type IRule } from '../../../src/authz/shield-rules.js';
import { policy } from '../../../src/authz/policy.js';
import { createSchema } from '../../../src/schema.js';
import { renderPermissionsMatrix } from '../../../scripts/permissions-matrix.js';

const schema = createSchema();
const objectTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !isIntrospectionType(t));

test('every field of every object type has an explicit rule (deny by default is never relied on)', () => {
  const missing: string[] = [];
  for (const type of objectTypes) {
    if (!isObjectType(type)) continue;
    for (const field of Object.keys(type.getFields())) {
      if (policy.fields[type.name]?.[field] === undefined) missing.push(`${type.name}.${field}`);
    }
  }
  expect(missing).toEqual([]);
});

test('the policy names no type or field that the schema lacks (no stale rules)', () => {
  const stale: string[] = [];
  for (const [typeName, fields] of Object.entries(policy.fields)) {
    const type = schema.getType(typeName);
    if (!type || !isObjectType(type)) {
      stale.push(typeName);
      continue;
    }
    for (const field of Object.keys(fields)) if (!type.getFields()[field]) stale.push(`${typeName}.${field}`);
  }
  for (const typeName of Object.keys(policy.visibility)) if (!schema.getType(typeName)) stale.push(`visibility:${typeName}`);
  expect(stale).toEqual([]);
});

test('docs/permissions.md is the matrix generated from the policy (run `npm run permissions`)', () => {
  const committed = readFileSync(new URL('../../../docs/permissions.md', import.meta.url), 'utf8');
  expect(committed).toBe(renderPermissionsMatrix());
});

test('a field that can be denied on its own is nullable, so a denial never blanks its siblings', () => {
  // Exempt: types whose fields all share one rule (reached only through a field with that
  // same rule, so they are never denied one by one), and Query.viewer (authenticated only).
  const offenders: string[] = [];
  for (const type of objectTypes) {
    if (!isObjectType(type)) continue;
    const rules = policy.fields[type.name] ?? {};
    const uniform = new Set(Object.values(rules)).size === 1;
    if (uniform) continue;
    for (const field of Object.values(type.getFields())) {
      const rule = rules[field.name];
      if (rule === undefined || rule === allow || `${type.name}.${field.name}` === 'Query.viewer') continue;
      if (isNonNullType(field.type)) offenders.push(`${type.name}.${field.name}`);
    }
  }
  expect(offenders).toEqual([]);
});

test('distinct rules have distinct names (stock shield keys its caches by name and refuses duplicates)', () => {
  const byName = new Map<string, Set<unknown>>();
  const visit = (node: IRule): void => {
    if (ruleKind(node) === 'rule') {
      const name = ruleName(node);
      if (!byName.has(name)) byName.set(name, new Set());
      byName.get(name)!.add(node);
    }
    ruleChildren(node).forEach(visit);
  };
  Object.values(policy.visibility).forEach(visit);
  for (const fields of Object.values(policy.fields)) Object.values(fields).forEach(visit);
  const duplicated = [...byName].filter(([, rules]) => rules.size > 1).map(([name]) => name);
  expect(duplicated).toEqual([]);
});
