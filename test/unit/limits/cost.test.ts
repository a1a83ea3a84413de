/**
 * The cost model on the real schema: every list is sized, lists multiply down the tree,
 * `first` counts the same however it is given, fragments and directives are followed as
 * execution follows them, and hostile documents cost linear time and saturate.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  buildSchema,
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  isIntrospectionType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import { COST_CEILING, costAnnotationProblems, estimateCost, type CostEstimate } from '../../../src/limits/cost.js';
import { createAuthorizedSchema, createSchema, loadTypeDefs } from '../../../src/schema.js';
import { CUSTOMER_ADMIN, nestedInvoices, nestedInvoicesFragments, nestedInvoicesInline, nestedUsers, SANDBOX } from './operations.js';

const schema = createSchema();
const MAX_PAGE = 100;

function estimateWithWork(
  query: string,
  variables: Record<string, unknown> = {},
  maxPageSize = MAX_PAGE,
  on: GraphQLSchema = schema,
): CostEstimate {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  const result = estimateCost(on, document, operation, variables, { maxPageSize });
  if (!result) throw new Error('no estimate');
  return result;
}

/** The estimate without `work`, so that equivalent documents compare equal. */
function estimate(...args: Parameters<typeof estimateWithWork>): Omit<CostEstimate, 'work'> {
  const { work: _work, ...rest } = estimateWithWork(...args);
  return rest;
}

/** The assumedSize the schema declares on Type.field (so tests follow the annotations, not copies of them). */
function assumed(type: string, field: string): number {
  const definition = schema.getType(type);
  if (!isObjectType(definition)) throw new Error(type);
  const node = definition.getFields()[field]?.astNode;
  const listSize = schema.getDirective('listSize');
  const size = node && listSize ? getDirectiveValues(listSize, node)?.assumedSize : undefined;
  if (typeof size !== 'number') throw new Error(`${type}.${field} has no assumedSize`);
  return size;
}

const USERS = assumed('Customer', 'users');
const LICENSES = assumed('Customer', 'licenses');

describe('annotations', () => {
  test('every list field of the schema has a size, and every weight is a number', () => {
    expect(costAnnotationProblems(schema)).toEqual([]);
  });

  test('each list field is sized by its own @listSize or by the connection field above it', () => {
    const listSize = schema.getDirective('listSize');
    const sizedBy = new Map<string, string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || isIntrospectionType(type)) continue;
      for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
        const args = field.astNode && listSize ? getDirectiveValues(listSize, field.astNode) : undefined;
        const nullable = isNonNullType(field.type) ? field.type.ofType : field.type;
        if (isListType(nullable)) sizedBy.set(`${type.name}.${field.name}`, args ? JSON.stringify(args) : 'parent');
        for (const sized of (args?.sizedFields as string[] | undefined) ?? []) {
          sizedBy.set(
            `${getNamedType(field.type).name}.${sized}`,
            `${type.name}.${field.name}(${(args?.slicingArguments as string[] | undefined)?.join()})`,
          );
        }
      }
    }
    expect(Object.fromEntries(sizedBy)).toEqual({
      'Viewer.permissions': expect.stringContaining('assumedSize'),
      'Viewer.entitlements': expect.stringContaining('assumedSize'),
      'Customer.users': expect.stringContaining('assumedSize'),
      'Customer.licenses': expect.stringContaining('assumedSize'),
      'License.features': expect.stringContaining('assumedSize'),
      'License.assignments': expect.stringContaining('assumedSize'),
      'Invoice.lines': expect.stringContaining('assumedSize'),
      'InvoiceConnection.edges': 'Customer.invoices(first)',
    });
  });

  test('a list field without a size is reported (the check above can fail)', () => {
    const typeDefs = loadTypeDefs().map((sdl) => sdl.replace('users: [User!] @listSize(assumedSize: 500)', 'users: [User!]'));
    const unsized = makeExecutableSchema({ typeDefs });
    expect(costAnnotationProblems(unsized)).toEqual([expect.stringMatching(/^Customer\.users: list without @listSize/)]);
    expect(() => estimate('{ viewer { subject } }', {}, MAX_PAGE, unsized)).toThrow(/not annotated/);
  });

  test('malformed annotations are reported', () => {
    const bad = buildSchema(`
      directive @cost(weight: String!) on FIELD_DEFINITION | OBJECT
      directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
      type Query {
        a: [Int] @listSize(slicingArguments: ["after"])
        b(after: String): [Int] @listSize(slicingArguments: ["after"])
        c: Int @cost(weight: "heavy")
        d: Int @listSize(assumedSize: 3)
        e: [Int] @listSize(assumedSize: -1)
      }`);
    const problems = costAnnotationProblems(bad).join('\n');
    expect(problems).toMatch(/Query\.a: slicing argument "after" is not an Int argument/);
    expect(problems).toMatch(/Query\.b: slicing argument "after" is not an Int argument/);
    expect(problems).toMatch(/Query\.c: @cost\(weight: "heavy"\) is not a number/);
    expect(problems).toMatch(/Query\.d: @listSize on a field that is not a list/);
    expect(problems).toMatch(/Query\.e: @listSize\(assumedSize:\) must be >= 0/);
  });

  test('the authorized schema (as shipped) carries the same annotations', () => {
    expect(costAnnotationProblems(createAuthorizedSchema())).toEqual([]);
    expect(estimate(CUSTOMER_ADMIN, { id: 'c' }, MAX_PAGE, createAuthorizedSchema())).toEqual(estimate(CUSTOMER_ADMIN, { id: 'c' }));
  });
});

describe('counting', () => {
  test('objects count every field value; composite values weigh 1, upstream lookups 1 more, scalars 0', () => {
    // viewer, customer, name: 3 values. viewer is a plain object (1); customer an object (1) fetched by key (+1).
    expect(estimate('{ viewer { customer { name } } }')).toMatchObject({ objects: 3, cost: 3 });
  });

  test('a list multiplies everything below it by its size', () => {
    // users: 1 value holding USERS users of 2 fields each; the list is one lookup (+1), each user an object (1).
    expect(estimate('{ viewer { customer { users { id name } } } }')).toMatchObject({
      objects: 3 + 2 * USERS,
      cost: 3 + 1 + USERS,
    });
  });

  test('nested lists multiply', () => {
    const one = estimate('{ viewer { customer { licenses { assignments { assignedAt } } } } }');
    const assignments = assumed('License', 'assignments');
    expect(one.objects).toBe(3 + LICENSES * (1 + assignments));
  });

  test('the Sandbox document: every field once, licenses times their assumed size, three invoices', () => {
    const sandbox = estimate(SANDBOX);
    // viewer subject permissions entitlements user{name role} customer{name} = 9;
    // invoices totalCount edges = 3, + 3 x (node number status total{amount currency}) = 18;
    // licenses = 1 + LICENSES x (product{name} status seats seatsUsed) = 1 + 5 x LICENSES.
    expect(sandbox.objects).toBe(9 + 3 + 18 + 1 + 5 * LICENSES);
    expect(sandbox.saturated).toBe(false);
  });

  test('introspection counts, with lists as long as the schema can answer', () => {
    const types = Object.keys(schema.getTypeMap()).length;
    expect(estimate('{ __schema { types { name } } }').objects).toBe(2 + types);
    expect(estimate('{ __typename }').objects).toBe(1);
    // Nested introspection multiplies like anything else.
    const nested = estimate('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }');
    expect(nested.objects).toBeGreaterThan(estimate('{ __schema { types { fields { name } } } }').objects * 100);
  });

  test('a leaf selected twice under one key, or a fragment spread twice at one level, counts once (as executed)', () => {
    const once = estimate('{ viewer { subject } }');
    expect(estimate('{ viewer { subject subject ... { subject } } }')).toEqual(once);
    const fragment = 'fragment F on Viewer { customer { users { id } } }';
    expect(estimate(`{ viewer { ...F ...F ... { ...F } } } ${fragment}`)).toEqual(estimate(`{ viewer { ...F } } ${fragment}`));
  });

  test('an aliased copy of a list counts again', () => {
    const one = estimate('{ viewer { customer { users { id } } } }');
    const two = estimate('{ viewer { customer { users { id } again: users { id } } } }');
    expect(two.objects).toBe(one.objects + 1 + USERS);
  });

  test('a skipped field counts as one null value, its subtree left out (what a caller can read of an operation)', () => {
    const query = '{ viewer { customer { name invoices(first: 100) { edges { node { number customer { users { id } } } } } } } }';
    const document = parse(query);
    const operation = getOperationAST(document)!;
    const all = estimateCost(schema, document, operation, {}, { maxPageSize: MAX_PAGE })!;
    const skipped: string[] = [];
    const readable = estimateCost(
      schema,
      document,
      operation,
      {},
      {
        maxPageSize: MAX_PAGE,
        skip: (type, field) => {
          skipped.push(`${type}.${field}`);
          return type === 'Customer' && field === 'invoices';
        },
      },
    )!;
    const withoutInvoices = estimate('{ viewer { customer { name invoices: name } } }');
    expect(all.objects).toBeGreaterThan(10_000);
    expect(readable.objects).toBe(withoutInvoices.objects);
    expect(skipped).toContain('Customer.invoices');
    expect(skipped).not.toContain('Invoice.number');
  });

  test('invalid variables give no estimate (execution reports them)', () => {
    const document = parse('query($n: Int!) { viewer { customer { invoices(first: $n) { totalCount } } } }');
    const operation = getOperationAST(document)!;
    expect(estimateCost(schema, document, operation, { n: 'many' }, { maxPageSize: MAX_PAGE })).toBeUndefined();
    expect(estimateCost(schema, document, operation, {}, { maxPageSize: MAX_PAGE })).toBeUndefined();
    expect(estimateCost(schema, document, operation, { n: 5 }, { maxPageSize: MAX_PAGE })).toBeDefined();
  });
});

describe('every @cost location the directive declares', () => {
  const custom = buildSchema(`
    directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
    directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    scalar Blob @cost(weight: "4")
    enum Color @cost(weight: "0.5") { RED GREEN }
    input Filter { text: String @cost(weight: "3") nested: [Filter!] }
    interface Node { id: ID! }
    type Cheap implements Node { id: ID! }
    type Dear implements Node @cost(weight: "10") { id: ID! blob: Blob }
    type Query {
      search(filter: Filter, exact: Boolean @cost(weight: "7")): [Node!]! @listSize(assumedSize: 2) @cost(weight: "5")
      color: Color
      blobs: [Blob!]! @listSize(assumedSize: 3)
    }`);
  const on = (query: string, variables: Record<string, unknown> = {}) => estimate(query, variables, MAX_PAGE, custom);

  test('types: per value, lists included; fields: per resolution; an interface costs its dearest type', () => {
    expect(costAnnotationProblems(custom)).toEqual([]);
    expect(on('{ color }').cost).toBe(0.5);
    expect(on('{ blobs }').cost).toBe(3 * 4);
    // search: 5 once, then 2 items of the dearer implementation (10 + its blob 4).
    expect(on('{ search { id ... on Dear { blob } } }').cost).toBe(5 + 2 * (10 + 4));
    expect(on('{ search { id } }').cost).toBe(5 + 2 * 10);
  });

  test('arguments and input fields weigh when given, at any depth of the input value', () => {
    const base = on('{ search { id } }').cost;
    expect(on('{ search(exact: true) { id } }').cost).toBe(base + 7);
    expect(on('{ search(filter: { text: "a" }) { id } }').cost).toBe(base + 3);
    const nested = 'query($f: Filter) { search(filter: $f) { id } }';
    expect(on(nested, { f: { text: 'a', nested: [{ text: 'b' }, { text: 'c', nested: [{ text: 'd' }] }] } }).cost).toBe(base + 4 * 3);
    expect(on(nested, {}).cost).toBe(base); // not given at all
  });
});

describe('page sizes', () => {
  const PAGE = (first: string) => `query($n: Int) { viewer { customer { invoices${first} { edges { node { id number } } } } } }`;
  const pageOf = (n: number) => 3 + 1 + n * 3; // viewer customer invoices + edges + n x (node id number)

  test('a literal, a variable and the argument default give the same estimate for the same page', () => {
    const literal = estimate(PAGE('(first: 20)'));
    expect(literal.objects).toBe(pageOf(20));
    expect(estimate(PAGE('(first: $n)'), { n: 20 })).toEqual(literal);
    expect(estimate(PAGE(''))).toEqual(literal); // first: Int = 20
    expect(estimate(PAGE('(first: $n)'), {})).toEqual(literal); // $n not given: the argument default applies
    expect(estimate('query($n: Int = 20) { viewer { customer { invoices(first: $n) { edges { node { id number } } } } } }')).toEqual(
      literal,
    );
  });

  test('a page above the maximum is clamped to it, as the resolver does', () => {
    expect(estimate(PAGE('(first: 5000)')).objects).toBe(pageOf(MAX_PAGE));
    expect(estimate(PAGE('(first: $n)'), { n: 2_147_483_647 })).toEqual(estimate(PAGE(`(first: ${MAX_PAGE})`)));
    expect(estimate(PAGE('(first: 5000)'), {}, 500).objects).toBe(pageOf(500));
  });

  test('a page below 1 (or null) is refused by the resolver: no items', () => {
    for (const n of [0, -3, null]) expect(estimate(PAGE('(first: $n)'), { n }).objects).toBe(pageOf(0));
  });

  test('edges are sized through fragments on the connection too', () => {
    const viaFragment = estimate(
      'query($n: Int) { viewer { customer { invoices(first: $n) { ...Page } } } } fragment Page on InvoiceConnection { edges { node { id number } } }',
      { n: 42 },
    );
    expect(viaFragment.objects).toBe(pageOf(42));
    // The same fragment under two page sizes: each counts with its own size.
    const two = estimate(
      '{ viewer { customer { a: invoices(first: 2) { ...Page } b: invoices(first: 7) { ...Page } } } } fragment Page on InvoiceConnection { edges { node { id } } }',
    );
    expect(two.objects).toBe(2 + (2 + 2 * 2) + (2 + 7 * 2));
  });
});

describe('directives and fragments', () => {
  test('@skip and @include follow the variables', () => {
    const base = estimate('{ viewer { subject } }');
    const heavy = 'customer { users { id } }';
    const skipped = `query($x: Boolean!) { viewer { subject ${heavy.replace('customer', 'customer @skip(if: $x)')} } }`;
    expect(estimate(skipped, { x: true })).toEqual(base);
    expect(estimate(skipped, { x: false }).objects).toBeGreaterThan(USERS);
    const included = `query($x: Boolean!) { viewer { subject ... @include(if: $x) { ${heavy} } } }`;
    expect(estimate(included, { x: false })).toEqual(base);
    expect(estimate(included, { x: true })).toEqual(estimate(skipped, { x: false }));
    const spread = `query($x: Boolean!) { viewer { subject ...H @skip(if: $x) } } fragment H on Viewer { ${heavy} }`;
    expect(estimate(spread, { x: true })).toEqual(base);
  });

  test('named and inline fragments expand to the same estimate as the plain selection', () => {
    const plain = estimate(nestedInvoices(3, true), { n: 7 });
    expect(plain.objects).toBe(3 * (2 + (2 + 7 * (3 + (2 + 7 * (2 + (1 + 10) + (2 + USERS)))))));
    expect(estimate(nestedInvoicesFragments(3), { n: 7 })).toEqual(plain);
    expect(estimate(nestedInvoicesInline(3), { n: 7 })).toEqual(plain);
  });

  test('a fragment whose type condition does not match adds nothing', () => {
    expect(estimate('{ viewer { subject ... on Customer { users { id } } } }')).toEqual(estimate('{ viewer { subject } }'));
  });

  test('costliest paths name where the cost is, aliases included', () => {
    const attack = estimate(nestedUsers(6));
    expect(attack.paths).toHaveLength(3);
    expect(attack.paths[0]).toEqual({
      path: 'a0:viewer.customer.users.customer.users.customer.users',
      objects: USERS * USERS * (1 + USERS),
      cost: USERS * USERS * (1 + USERS), // the lookup, and each user an object of scalars
    });
    expect(estimate(CUSTOMER_ADMIN, { id: 'c' }).paths[0]?.path).toBe('customer.licenses.assignments');
  });
});

describe('hostile documents', () => {
  test('a fragment spread many times is walked once: work is linear in the document', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 paths through 40 fragments.
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Customer { users { customer { ...F${i + 1} } } again: users { customer { ...F${i + 1} } } }`,
    ).join('\n');
    const query = `{ viewer { customer { ...F0 } } } ${fragments} fragment F${levels} on Customer { name }`;
    const result = estimateWithWork(query);
    const selections = (query.match(/\{/g) ?? []).length * 3;
    expect(result.work).toBeLessThan(selections);
    expect(result.saturated).toBe(true);
    expect(result.objects).toBe(COST_CEILING);

    // The same fragment spread from 2,000 places costs one walk of it plus one step per place.
    const many = `{ viewer { customer { ${Array.from({ length: 2000 }, (_, i) => `c${i}: users { ...U }`).join(' ')} } } }
      fragment U on User { id name email role customer { name licenses { id features seats } } }`;
    expect(estimateWithWork(many).work).toBeLessThan(2000 * 2 + 50);
  });

  test('numbers saturate instead of overflowing to Infinity or NaN', () => {
    let inner = 'id';
    for (let i = 0; i < 30; i++) inner = `users { customer { ${inner} } }`;
    const deep = estimate(`{ viewer { customer { ${inner} } } }`);
    expect(deep).toMatchObject({ objects: COST_CEILING, cost: COST_CEILING, saturated: true });
    expect(Number.isFinite(deep.objects) && Number.isFinite(deep.cost)).toBe(true);
    for (const path of deep.paths) expect(Number.isFinite(path.cost) && Number.isFinite(path.objects)).toBe(true);
    // Saturated sums stay saturated (15 saturated aliases are not 15 x the ceiling).
    const wide = estimate(`{ ${Array.from({ length: 15 }, (_, i) => `a${i}: viewer { customer { ${inner} } }`).join(' ')} }`);
    expect(wide.objects).toBe(COST_CEILING);
  });

  test('a document deeper than the stack is estimated as saturated, not thrown', () => {
    let inner = 'id';
    // 1,200 levels: graphql-js parses it, a recursive walk does not get to the bottom.
    for (let i = 0; i < 600; i++) inner = `customer { users { ${inner} } }`;
    let result: Omit<CostEstimate, 'work'>;
    try {
      result = estimate(`{ viewer { ${inner} } }`);
    } catch (error) {
      // graphql-js's own parser may run out of stack first; then there is nothing to estimate.
      expect(String(error)).toMatch(/call stack/i);
      return;
    }
    expect(result.saturated).toBe(true);
  });
});
