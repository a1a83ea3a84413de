/**
 * Authorization never waits in line: the caller's identity is looked up alongside the first
 * reads, entitlements as soon as the customer is known, and a read whose rule must wait for
 * data runs while the rule decides (its result dropped if the rule denies). Counted in
 * sequential upstream round trips ("waves") from the demo upstreams' own timestamps, and
 * checked on the timing oracle it closes: a foreign id costs what an unknown id costs.
 */
import { execute, parse } from 'graphql';
import { sequentialWaves } from '../../src/demo/timeline.js';
import { startDemoServices, type DemoServices } from '../../src/demo/services.js';
import { createAuthorizedSchema } from '../../src/schema.js';
import type { Upstreams } from '../../src/upstream/index.js';
import { contextFor } from '../helpers/context.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { upstreamsFor } from '../helpers/upstreams.js';
import { worldFacts } from '../helpers/world.js';

const LATENCY_MS = 40;

describe(`with ${LATENCY_MS} ms per upstream call`, () => {
  let stack: TestStack;
  let facts: ReturnType<typeof worldFacts>;
  beforeAll(async () => {
    stack = await startStack({ latencyMs: LATENCY_MS });
    facts = worldFacts(stack.world);
  });
  afterAll(() => stack.stop());

  /** Runs one request alone and counts its sequential upstream round trips. */
  async function waves(query: string, persona: 'alice' | 'carol' | 'mallory', variables: Record<string, unknown> = {}) {
    stack.demo.resetStats();
    const result = await stack.gql(query, { persona, variables });
    // A read dropped by its rule may still be on its way back: count it once it is answered.
    while (stack.demo.working() > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    return {
      result,
      waves: sequentialWaves(stack.demo.timeline()),
      calls: stack.demo
        .timeline()
        .map((c) => `${c.service} ${c.operation}`)
        .sort(),
    };
  }

  // The minimum without authorization: what the reads themselves need, one level after another.
  test.each([
    ['a customer by id', 'query($id: ID!) { customer(id: $id) { name } }', 1],
    [
      'a page of invoices with their customer',
      'query($id: ID!) { customer(id: $id) { invoices(first: 5) { edges { node { number customer { name } } } } } }',
      2,
    ],
    ['usage (entitlement-gated)', 'query($id: ID!) { customer(id: $id) { usage { apiCalls } } }', 2],
    [
      'usage with forecast (two entitlements)',
      'query($id: ID!) { customer(id: $id) { usage { apiCalls forecast { apiCalls confidence } } } }',
      2,
    ],
  ])('%s takes as many round trips as the reads alone (%#)', async (_title, query, minimum) => {
    const { result, waves: counted } = await waves(query, 'alice', { id: facts.acme.id });
    expect(result.errors).toBeUndefined();
    expect(counted).toBe(minimum);
  });

  test.each([
    ['customer', (f: ReturnType<typeof worldFacts>) => f.acme.id, 'cus_ffffffffffff'],
    ['invoice', (f: ReturnType<typeof worldFacts>) => f.invoicesOf(f.acme.id)[0]!.id, 'inv_ffffffffffff'],
    ['license', (f: ReturnType<typeof worldFacts>) => f.licenseOf(f.acme.id, 'core').id, 'lic_ffffffffffff'],
  ])(
    '%s: a foreign id and an unknown id make the same upstream calls and take the same time',
    async (field, foreignOf, unknown) => {
      const query = `query($id: ID!) { ${field}(id: $id) { id } }`;
      const foreign = foreignOf(facts);
      const token = await stack.token('mallory');
      const times: Record<'foreign' | 'unknown', number[]> = { foreign: [], unknown: [] };
      const calls: Record<'foreign' | 'unknown', Set<string>> = { foreign: new Set(), unknown: new Set() };
      const bodies = new Set<string>();
      for (let i = 0; i < 30; i++) {
        // Alternating (and swapping the order every round) so both see the same machine.
        const order = i % 2 === 0 ? (['foreign', 'unknown'] as const) : (['unknown', 'foreign'] as const);
        for (const kind of order) {
          stack.demo.resetStats();
          const started = performance.now();
          const result = await stack.gql(query, { token, variables: { id: kind === 'foreign' ? foreign : unknown } });
          times[kind].push(performance.now() - started);
          bodies.add(result.text);
          calls[kind].add(
            stack.demo
              .timeline()
              .map((c) => `${c.service} ${c.operation}`)
              .sort()
              .join(', '),
          );
        }
      }
      expect([...bodies]).toEqual([`${JSON.stringify({ data: { [field]: null } })}\n`]);
      // Same calls every time, for both: the lookup of the id, and the caller's identity.
      expect([...calls.foreign]).toEqual([...calls.unknown]);
      expect(calls.foreign.size).toBe(1);
      expect(Math.abs(median(times.foreign) - median(times.unknown))).toBeLessThan(LATENCY_MS / 4);
    },
    60_000,
  );

  test('a refused mutation never runs before its rules, even while they wait for data', async () => {
    const license = facts.licenseOf(facts.acme.id, 'analytics');
    const heidi = stack.world.users.find((u) => u.customerId === facts.acme.id && u.name.startsWith('Heidi'))!;
    stack.demo.resetStats();
    const result = await stack.gql('mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) { seatsUsed } }', {
      persona: 'mallory',
      variables: { l: license.id, u: heidi.id },
    });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(stack.demo.licenses.stats.byOperation['POST /licenses/{licenseId}/assignments']).toBeUndefined();
  });

  test('a denied read that ran early shows nothing: not in the response, not in the log', async () => {
    const usage = stack.world.usage.find((u) => u.customerId === facts.globex.id)!;
    stack.logs.length = 0;
    const {
      result,
      calls,
      waves: counted,
    } = await waves('query($id: ID!) { customer(id: $id) { name usage { apiCalls } } }', 'carol', {
      id: facts.globex.id,
    });
    // The read did run (alongside the license lookup: two round trips, not three)...
    expect(calls).toContain('licenses POST /usage/by-customer');
    expect(counted).toBe(2);
    // ...and nothing of it reached the client or the log.
    expect(result.data).toEqual({ customer: { name: 'Globex', usage: null } });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['LICENSE_REQUIRED']);
    expect(result.text).not.toContain(String(usage.apiCalls));
    expect(JSON.stringify(stack.logs)).not.toContain(String(usage.apiCalls));
  });
});

describe('loaders after a denied early read', () => {
  let demo: DemoServices;
  let upstreams: Upstreams;
  let usageCalls = 0;
  beforeAll(async () => {
    demo = await startDemoServices({ scale: 1 });
    const real = upstreamsFor(demo.urls);
    // Counted where the BFF sends them (the demo service may not have received one yet).
    upstreams = {
      ...real,
      licenses: {
        ...real.licenses,
        usageByCustomers: (ids, signal) => {
          usageCalls++;
          return real.licenses.usageByCustomers(ids, signal);
        },
      },
    };
  });
  afterAll(async () => {
    await upstreams.close();
    await demo.close();
  });

  test('what a denied early read loaded is not served to a later field; an allowed one is reused', async () => {
    const schema = createAuthorizedSchema();
    const query = parse('query($id: ID!) { customer(id: $id) { usage { apiCalls } } }');
    const { globex, acme } = worldFacts(demo.world);

    // carol: Globex's analytics license expired, so usage is denied after it was read.
    usageCalls = 0;
    const carol = contextFor('carol', upstreams);
    const denied = await execute({ schema, document: query, contextValue: carol, variableValues: { id: globex.id } });
    expect(denied.data).toEqual({ customer: { usage: null } });
    expect(usageCalls).toBe(1);
    await carol.loaders.usageByCustomer.load(globex.id);
    expect(usageCalls).toBe(2); // forgotten: fetched again

    // alice: allowed, so the early read is the read, and stays in the request's loaders.
    usageCalls = 0;
    const alice = contextFor('alice', upstreams);
    const allowed = await execute({ schema, document: query, contextValue: alice, variableValues: { id: acme.id } });
    expect(allowed.errors).toBeUndefined();
    await alice.loaders.usageByCustomer.load(acme.id);
    expect(usageCalls).toBe(1);
  });
});

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
