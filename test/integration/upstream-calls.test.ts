/**
 * Upstream call accounting: batching through DataLoader (one call per resource kind and
 * level, whatever N is) and authorization that costs no extra upstream call.
 */
import { execute, parse } from 'graphql';
import { startDemoServices, type DemoServices } from '../../src/demo/services.js';
import { createAuthorizedSchema, createSchema } from '../../src/schema.js';
import type { Upstreams } from '../../src/upstream/index.js';
import { contextFor } from '../helpers/context.js';
import { upstreamsFor } from '../helpers/upstreams.js';
import { worldFacts } from '../helpers/world.js';

let demo: DemoServices;
let upstreams: Upstreams;
beforeAll(async () => {
  demo = await startDemoServices({ scale: 10 });
  upstreams = upstreamsFor(demo.urls);
});
afterAll(async () => {
  await upstreams.close();
  await demo.close();
});

const bare = createSchema();
const authorized = createAuthorizedSchema();

/** Runs a query and returns its result with the upstream calls it caused, per operation. */
async function run(schema: typeof bare, query: string, variables: Record<string, unknown>, persona: 'alice' | 'dave' = 'alice') {
  demo.resetStats();
  const result = await execute({ schema, document: parse(query), variableValues: variables, contextValue: contextFor(persona, upstreams) });
  const calls: Record<string, number> = {};
  for (const service of [demo.customers, demo.billing, demo.licenses]) {
    for (const [operation, count] of Object.entries(service.stats.byOperation)) calls[`${service.name} ${operation}`] = count;
  }
  return { result, calls, total: demo.totalRequests() };
}

const INVOICES_WITH_CUSTOMERS = `query($id: ID!, $n: Int!) { customer(id: $id) { invoices(first: $n) { edges { node { number total { amount } customer { name licenses { id } users { name } } } } } } }`;

test.each([1, 10, 100])('%i invoices with their customers, licenses and users: one upstream call per resource kind', async (n) => {
  const { acme } = worldFacts(demo.world);
  const { result, calls } = await run(authorized, INVOICES_WITH_CUSTOMERS, { id: acme.id, n });
  expect(result.errors).toBeUndefined();
  expect((result.data as any).customer.invoices.edges).toHaveLength(n);
  expect(calls).toEqual({
    'customers POST /users/by-subject': 1, // who is alice (ownership)
    'customers POST /customers/batch-get': 1,
    'billing POST /invoices/pages': 1,
    'licenses POST /licenses/by-customer': 1,
    'customers POST /users/by-customer': 1,
  });
});

const EVERYTHING = `query($id: ID!) {
  viewer { customer { name } entitlements }
  customer(id: $id) {
    name users { name email }
    billingAccount { balance { amount } customer { name } }
    invoices(first: 50) { totalCount edges { node { number customer { name } lines { amount { amount } } } } }
    licenses { seatsUsed customer { name } assignments { user { name } } }
    usage { apiCalls forecast { apiCalls } }
  }
}`;

test('authorization adds no upstream call: the same query costs the same with and without the policy', async () => {
  const { acme } = worldFacts(demo.world);
  const without = await run(bare, EVERYTHING, { id: acme.id });
  const withPolicy = await run(authorized, EVERYTHING, { id: acme.id });
  expect(without.result.errors).toBeUndefined();
  expect(withPolicy.result.errors).toBeUndefined();
  // The data alice sees is all of it: the policy withholds nothing from her here.
  expect(withPolicy.result.data).toEqual(without.result.data);
  expect(withPolicy.calls).toEqual(without.calls);
  expect(withPolicy.total).toBe(without.total);
});

test('support staff reading another customer: the same upstream calls as the unauthorized schema', async () => {
  const { globex } = worldFacts(demo.world);
  const query = EVERYTHING.replace('usage { apiCalls forecast { apiCalls } }', '');
  const without = await run(bare, query, { id: globex.id }, 'dave');
  const withPolicy = await run(authorized, query, { id: globex.id }, 'dave');
  expect(withPolicy.calls).toEqual(without.calls);
});

test('when ownership cannot be established (customer API down), nothing is shown and the client is told why', async () => {
  const { acme } = worldFacts(demo.world);
  demo.customers.faults.set({ kind: 'status', status: 503 });
  try {
    const { result } = await run(authorized, `query($id: ID!) { customer(id: $id) { name } invoice(id: "x") { id } }`, { id: acme.id });
    expect((result.data as any).customer).toBeNull();
    expect(result.errors?.map((e) => [e.path?.join('.'), e.extensions.code])).toContainEqual(['customer', 'UPSTREAM_UNAVAILABLE']);
  } finally {
    demo.customers.faults.set(null);
  }
});
