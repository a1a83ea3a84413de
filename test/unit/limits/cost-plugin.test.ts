/**
 * The cost-limit plugin in a real Apollo Server on the real schema: hostile shapes are refused
 * before any resolver runs (HTTP 200, one QUERY_TOO_COMPLEX error), realistic SPA operations
 * pass under the recommended defaults, and the estimate is kept for later plugins.
 */
import { ApolloServer, type ApolloServerPlugin, type BaseContext, type GraphQLResponse } from '@apollo/server';
import {
  buildSchema,
  getNamedType,
  getOperationAST,
  isEnumType,
  isIntrospectionType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { ErrorCode } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config.js';
import { COST_MESSAGES, costLimitPlugin, type CostLimitOptions } from '../../../src/limits/cost-plugin.js';

// The product's defaults, as an empty environment configures them.
const DEFAULT_COST_LIMITS = { maxCost: loadConfig({}).queryLimits.maxCost, maxObjects: loadConfig({}).queryLimits.maxObjects };
import { estimateCost, type CostEstimate } from '../../../src/limits/cost.js';
import { createSchema } from '../../../src/schema.js';
import {
  CUSTOMER_ADMIN,
  nestedInvoices,
  nestedInvoicesFragments,
  nestedInvoicesInline,
  nestedUsers,
  SANDBOX,
  SUPPORT_CONSOLE,
} from './operations.js';

const MAX_PAGE = 100;
const DEV: CostLimitOptions = { ...DEFAULT_COST_LIMITS, maxPageSize: MAX_PAGE, production: false };

/** The estimate the plugin makes for `query`, computed directly. */
function estimateOf(query: string, variables: Record<string, unknown> = {}): CostEstimate {
  const document = parse(query);
  const estimate = estimateCost(createSchema(), document, getOperationAST(document)!, variables, { maxPageSize: MAX_PAGE });
  if (!estimate) throw new Error('no estimate');
  return estimate;
}

/** A value of `type` good enough for execution to complete: lists empty, objects bare. */
function stub(type: GraphQLOutputType): unknown {
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) return [];
  const named = getNamedType(nullable);
  if (isObjectType(named)) return {};
  if (isEnumType(named)) return named.getValues()[0]?.value;
  return { Int: 1, Float: 1, Boolean: true }[named.name] ?? 'x';
}

/** The real schema with every resolver replaced by a counting stub: refusals must leave the count at 0. */
function countingSchema(): { schema: GraphQLSchema; calls: () => number } {
  const schema = createSchema();
  let calls = 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      field.resolve = () => {
        calls++;
        return stub(field.type);
      };
    }
  }
  return { schema, calls: () => calls };
}

interface Harness {
  run(query: string, variables?: Record<string, unknown>, contextValue?: BaseContext): Promise<GraphQLResponse>;
  calls(): number;
  stop(): Promise<void>;
}

async function harness(options: CostLimitOptions = DEV, extra: ApolloServerPlugin<BaseContext>[] = []): Promise<Harness> {
  const { schema, calls } = countingSchema();
  // No stack traces: extensions must hold exactly what the plugin put there.
  const server = new ApolloServer<BaseContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    plugins: [costLimitPlugin(options), ...extra],
  });
  await server.start();
  return {
    run: (query, variables = {}, contextValue = {}) => server.executeOperation({ query, variables }, { contextValue }),
    calls,
    stop: () => server.stop(),
  };
}

function single(response: GraphQLResponse) {
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

/** Refused before execution: HTTP 200, no data, exactly one QUERY_TOO_COMPLEX error. */
function expectRefused(response: GraphQLResponse, exceeded: 'objects' | 'cost' = 'objects') {
  const result = single(response);
  expect(response.http.status).toBe(200);
  expect(result.data).toBeUndefined();
  expect(result.errors).toHaveLength(1);
  const error = result.errors![0]!;
  expect(error.extensions?.code).toBe(ErrorCode.QUERY_TOO_COMPLEX);
  expect(error.extensions?.exceeded).toBe(exceeded);
  expect(error.extensions?.http).toBeUndefined();
  return error;
}

function expectAccepted(response: GraphQLResponse) {
  const result = single(response);
  expect(result.errors).toBeUndefined();
  expect(result.data).toBeTruthy();
}

describe('hostile shapes are refused before any resolver runs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  test.each([
    ['nested unpaginated lists under 6 aliases', nestedUsers(6), {}],
    ['nested unpaginated lists under 15 aliases', nestedUsers(15), {}],
    ['invoices(first: $n), n = 100, under 15 aliases', nestedInvoices(15, true), { n: 100 }],
    ['invoices with first omitted (default 20) under 15 aliases', nestedInvoices(15, false), {}],
    ['the same through named fragments', nestedInvoicesFragments(15), { n: 100 }],
    ['the same through inline fragments', nestedInvoicesInline(15), { n: 100 }],
  ])('%s', async (_name, query, variables) => {
    const before = h.calls();
    expectRefused(await h.run(query, variables));
    expect(h.calls()).toBe(before);
  });

  test('outside production the refusal carries the numbers and the costliest paths', async () => {
    const error = expectRefused(await h.run(nestedUsers(6)));
    expect(error.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      exceeded: 'objects',
      limit: DEFAULT_COST_LIMITS.maxObjects,
      objects: expect.any(Number),
      cost: expect.any(Number),
      paths: [
        expect.objectContaining({ path: 'a0:viewer.customer.users.customer.users.customer.users' }),
        expect.anything(),
        expect.anything(),
      ],
    });
    expect(error.extensions?.objects as number).toBeGreaterThan(DEFAULT_COST_LIMITS.maxObjects * 1000);
    expect(error.message).toContain(COST_MESSAGES.objects);
    expect(error.message).toContain(String(DEFAULT_COST_LIMITS.maxObjects));
  });
});

describe('limits', () => {
  const variables = { id: 'c1' };
  const admin = estimateOf(CUSTOMER_ADMIN, variables);

  test('an operation exactly at both limits is accepted and executes', async () => {
    const h = await harness({ ...DEV, maxObjects: admin.objects, maxCost: admin.cost });
    expectAccepted(await h.run(CUSTOMER_ADMIN, variables));
    expect(h.calls()).toBeGreaterThan(0);
    await h.stop();
  });

  test('one object over is refused as objects, one cost unit over as cost', async () => {
    const objects = await harness({ ...DEV, maxObjects: admin.objects - 1, maxCost: admin.cost });
    expectRefused(await objects.run(CUSTOMER_ADMIN, variables), 'objects');
    expect(objects.calls()).toBe(0);
    await objects.stop();
    const cost = await harness({ ...DEV, maxObjects: admin.objects, maxCost: admin.cost - 1 });
    expect(expectRefused(await cost.run(CUSTOMER_ADMIN, variables), 'cost').extensions?.limit).toBe(admin.cost - 1);
    await cost.stop();
  });

  test('the page size the limit sees is the clamped one', async () => {
    // 100-invoice pages: the page-size maximum decides whether the same query passes.
    const query = 'query($n: Int) { viewer { customer { invoices(first: $n) { edges { node { id number } } } } } }';
    const objectsAt = (page: number) => 4 + 3 * page;
    const h = await harness({ ...DEV, maxObjects: objectsAt(50), maxPageSize: 50 });
    expectAccepted(await h.run(query, { n: 10_000 }));
    await h.stop();
    const wider = await harness({ ...DEV, maxObjects: objectsAt(50), maxPageSize: 51 });
    expectRefused(await wider.run(query, { n: 10_000 }));
    await wider.stop();
  });

  test('@skip(if: $x) takes the cost away', async () => {
    const h = await harness();
    const query =
      'query($x: Boolean!) { viewer { subject ... @skip(if: $x) { customer { users { customer { users { customer { users { id } } } } } } } } }';
    expectRefused(await h.run(query, { x: false }));
    expectAccepted(await h.run(query, { x: true }));
    await h.stop();
  });

  test('in production the message names the limit, and no number leaves the server', async () => {
    const h = await harness({ ...DEV, production: true });
    const objects = expectRefused(await h.run(nestedUsers(6)));
    expect(objects.message).toBe(COST_MESSAGES.objects);
    expect(objects.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', exceeded: 'objects' });
    await h.stop();
    const cheapObjects = await harness({ ...DEV, production: true, maxObjects: Number.MAX_SAFE_INTEGER, maxCost: 10 });
    const cost = expectRefused(await cheapObjects.run(SANDBOX), 'cost');
    expect(cost.message).toBe(COST_MESSAGES.cost);
    expect(JSON.stringify(cost)).not.toMatch(/\d/);
    await cheapObjects.stop();
  });

  test('bad variables are left to execution (its own error, not ours)', async () => {
    const h = await harness();
    const result = single(await h.run('query($n: Int!) { viewer { customer { invoices(first: $n) { totalCount } } } }', { n: 'many' }));
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await h.stop();
  });
});

describe('recommended defaults', () => {
  const realistic: Record<string, CostEstimate> = {
    sandbox: estimateOf(SANDBOX),
    customerAdmin: estimateOf(CUSTOMER_ADMIN, { id: 'c' }),
    supportConsole: estimateOf(SUPPORT_CONSOLE, { id: 'c' }),
  };

  test('the SPA operations pass with at least 3x headroom, and the defaults are at most 5x the largest', async () => {
    for (const [name, result] of Object.entries(realistic)) {
      expect({ name, objects: result.objects * 3 <= DEFAULT_COST_LIMITS.maxObjects }).toEqual({ name, objects: true });
      expect({ name, cost: result.cost * 3 <= DEFAULT_COST_LIMITS.maxCost }).toEqual({ name, cost: true });
    }
    const largest = Object.values(realistic).reduce((a, b) => (a.objects > b.objects ? a : b));
    expect(DEFAULT_COST_LIMITS.maxObjects).toBeLessThanOrEqual(largest.objects * 5);
    expect(DEFAULT_COST_LIMITS.maxCost).toBeLessThanOrEqual(largest.cost * 5);

    const h = await harness();
    expectAccepted(await h.run(SANDBOX));
    expectAccepted(await h.run(CUSTOMER_ADMIN, { id: 'c' }));
    expectAccepted(await h.run(SUPPORT_CONSOLE, { id: 'c' }));
    await h.stop();
  });

  test('the attack shapes exceed the defaults by orders of magnitude', () => {
    const over = (result: CostEstimate) => result.objects / DEFAULT_COST_LIMITS.maxObjects;
    expect(over(estimateOf(nestedUsers(6)))).toBeGreaterThan(1000);
    expect(over(estimateOf(nestedUsers(15)))).toBeGreaterThan(1000);
    expect(over(estimateOf(nestedInvoices(15, true), { n: 100 }))).toBeGreaterThan(100);
    expect(over(estimateOf(nestedInvoices(15, false)))).toBeGreaterThan(10);
  });
});

/** The plugin, with an admission that records the estimate of every request it admits. */
function recordingPlugin() {
  const seen: CostEstimate[] = [];
  const plugin = costLimitPlugin<BaseContext>(DEV, (estimate) => {
    seen.push(estimate);
  });
  return { plugin, seen };
}

describe('the estimate is handed on before anything runs', () => {
  test('admit gets it once per admitted request, before any resolver', async () => {
    let resolved = 0;
    const admittedAfter: number[] = [];
    const inPlugin: CostEstimate[] = [];
    const plugin = costLimitPlugin<BaseContext>(DEV, (estimate) => {
      admittedAfter.push(resolved);
      inPlugin.push(estimate);
    });
    const { schema } = countingSchema();
    const viewer = schema.getQueryType()!.getFields().viewer!;
    viewer.resolve = () => {
      resolved++;
      return {};
    };
    const server = new ApolloServer<BaseContext>({ schema, includeStacktraceInErrorResponses: false, plugins: [plugin] });
    await server.start();
    expectAccepted(await server.executeOperation({ query: SANDBOX }));
    await server.stop();
    expect(inPlugin).toEqual([estimateOf(SANDBOX)]);
    expect(admittedAfter).toEqual([0]);
    expect(resolved).toBe(1);
  });
});

describe('a document seen before is not walked again', () => {
  test('same text and variables: the same estimate object; other variables: their own estimate, as if fresh', async () => {
    const { plugin, seen } = recordingPlugin();
    const { schema } = countingSchema();
    const server = new ApolloServer<BaseContext>({ schema, includeStacktraceInErrorResponses: false, plugins: [plugin] });
    await server.start();
    const query = 'query Page($id: ID!, $n: Int) { customer(id: $id) { invoices(first: $n) { edges { node { number } } } } }';
    const run = (variables: Record<string, unknown>) => server.executeOperation({ query, variables });
    expectAccepted(await run({ id: 'c', n: 50 }));
    expectAccepted(await run({ id: 'c', n: 50 }));
    expectAccepted(await run({ id: 'c', n: 5 }));
    await server.stop();
    expect(seen).toHaveLength(3);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[0]).toEqual(estimateOf(query, { id: 'c', n: 50 }));
    expect(seen[2]).toEqual(estimateOf(query, { id: 'c', n: 5 }));
    expect(seen[2]).not.toEqual(seen[0]);
  });
});

test('a schema whose lists are not all sized does not start', async () => {
  const schema = buildSchema('type Query { names: [String] }');
  const server = new ApolloServer({ schema, plugins: [costLimitPlugin(DEV)] });
  await expect(server.start()).rejects.toThrow(/cost annotations are incomplete[\s\S]*Query\.names/);
});
