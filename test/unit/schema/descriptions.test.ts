/**
 * Every type, field, argument and enum value of the schema has a description: SPA teams read
 * the schema (docs/schema.graphql, their IDE, generated types), not this repository.
 */
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLNamedType,
} from 'graphql';
import { createSchema } from '../../../src/schema.js';

/** Schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`) without a description. */
function undocumented(types: readonly GraphQLNamedType[]): string[] {
  const missing: string[] = [];
  const blank = (text: string | null | undefined) => !text?.trim();
  for (const type of types) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (blank(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (blank(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) {
          if (blank(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (blank(value.description)) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

test('every type, field, argument and enum value of the schema is described', () => {
  expect(undocumented(Object.values(createSchema().getTypeMap()))).toEqual([]);
});

test('the check finds what is missing (it would catch a regression)', () => {
  const bare = buildSchema('enum Flavour { SWEET } type Query { "Described." pick(flavour: Flavour): Int, other: Int }');
  expect(undocumented(Object.values(bare.getTypeMap())).sort()).toEqual([
    'Flavour',
    'Flavour.SWEET',
    'Query',
    'Query.other',
    'Query.pick(flavour:)',
  ]);
});

test('the ErrorCode enum documents every code the server sends, with its HTTP status', () => {
  const errorCode = createSchema().getType('ErrorCode');
  expect(isEnumType(errorCode)).toBe(true);
  if (!isEnumType(errorCode)) return;
  for (const value of errorCode.getValues()) expect(value.description).toMatch(/HTTP: \d{3}/);
});
