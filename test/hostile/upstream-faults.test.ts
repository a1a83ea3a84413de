/**
 * Upstream faults injected into the demo services: latency, hangs, 500/503, malformed JSON,
 * huge bodies, redirects. Each affected path gets UPSTREAM_UNAVAILABLE while the other
 * upstreams' data stays intact; reads are retried once, writes never; a dead upstream trips
 * its breaker and fails fast, then recovers; and a failed authorization lookup denies.
 */
import { ManualClock } from '../../src/clock.js';
import { customerBySlug } from '../../src/demo/world.js';
import { UpstreamUnavailableError } from '../../src/errors.js';
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js';
import { advanceUntilSettled, errorAt, type GqlResult, startStack, type TestStack } from '../helpers/stack.js';
import { upstreamsFor } from '../helpers/upstreams.js';
import { expectKnownCodes, expectNoLeak } from './leaks.js';

const TIMEOUT_MS = 300;

/** Customers + billing + licenses in one query; billing and licenses are nullable leaves. */
const SPREAD = `query($id: ID!) { customer(id: $id) { name billingAccount { id } licenses { id } } }`;

/** Sends a request and moves the stack's manual clock until it is answered (timeouts fire on it). */
function askWith(stack: TestStack) {
  return (query: string, options: Parameters<TestStack['gql']>[1]): Promise<GqlResult<Record<string, any>>> =>
    stack.settle(stack.gql(query, options));
}

describe('faults with breakers off (each fault seen in isolation)', () => {
  let stack: TestStack;
  let acmeId: string;
  let ask: ReturnType<typeof askWith>;
  beforeAll(async () => {
    stack = await startStack({
      clock: new ManualClock(Date.now()),
      env: {
        UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
        UPSTREAM_READ_RETRIES: '1',
        UPSTREAM_RETRY_DELAY_MS: '20',
        UPSTREAM_BREAKER_FAILURE_THRESHOLD: '0',
        UPSTREAM_MAX_BODY_BYTES: String(256 * 1024),
      },
    });
    ask = askWith(stack);
    acmeId = customerBySlug(stack.world, 'acme').id;
  });
  afterAll(() => stack.stop());
  afterEach(() => {
    for (const service of [stack.demo.customers, stack.demo.billing, stack.demo.licenses]) {
      service.faults.set(null);
      service.faults.latencyMs = 0;
    }
  });

  /** Billing failed: its field is null with a typed error, customers and licenses intact. */
  async function expectBillingPartial(slowBilling = false): Promise<number> {
    const started = stack.clock.now();
    const pending = stack.gql(SPREAD, { persona: 'alice', variables: { id: acmeId } });
    // A slow billing service is the point of some tests: then time passes while billing works
    // on its answer, never while customers or licenses do.
    const result = slowBilling
      ? await advanceUntilSettled(
          stack.clock as ManualClock,
          pending,
          10,
          () => stack.demo.customers.stats.working + stack.demo.licenses.stats.working === 0,
        )
      : await stack.settle(pending);
    const elapsed = stack.clock.now() - started;
    expect(result.status).toBe(200);
    expect(result.data?.customer.name).toBe('Acme Corp');
    expect(result.data?.customer.licenses.length).toBeGreaterThan(0);
    expect(result.data?.customer.billingAccount).toBeNull();
    const error = errorAt(result, 'customer.billingAccount');
    expect(error?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', service: 'billing' });
    expect(error?.message).toBe('The billing service is unavailable.');
    expect(result.errors).toHaveLength(1);
    expectNoLeak(result, ['hang', 'malformed', 'huge', 'redirect', 'items']);
    return elapsed;
  }

  test('latency within the budget is tolerated', async () => {
    stack.demo.billing.faults.latencyMs = 100;
    // The budget runs on the stack's clock, which does not move here: only real latency passes.
    const result = await stack.gql(SPREAD, { persona: 'alice', variables: { id: acmeId } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer.billingAccount).not.toBeNull();
  });

  test('a hanging upstream times out per call (one retry), and the rest of the answer is intact', async () => {
    stack.demo.billing.faults.set({ kind: 'hang' });
    stack.demo.billing.stats.reset();
    const elapsed = await expectBillingPartial();
    // Two attempts, each given up once its 300 ms had passed on the stack's clock (which only
    // moves when the test moves it), and an answer rather than a hang.
    expect(stack.demo.billing.stats.byOperation['POST /accounts/by-customer']).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(2 * TIMEOUT_MS);
  });

  test('latency beyond the budget counts as a timeout', async () => {
    // Real latency far beyond the budget; the budget runs out on the stack's clock first.
    stack.demo.billing.faults.latencyMs = 60_000;
    await expectBillingPartial(true);
  });

  test.each([500, 502, 503])('HTTP %i from an upstream gives partial data with a typed error', async (status) => {
    stack.demo.billing.faults.set({ kind: 'status', status });
    await expectBillingPartial();
  });

  test('malformed JSON from an upstream gives partial data with a typed error', async () => {
    stack.demo.billing.faults.set({ kind: 'malformed' });
    await expectBillingPartial();
  });

  test('a huge body is abandoned at the configured limit, not buffered', async () => {
    stack.demo.billing.faults.set({ kind: 'huge', bytes: 50 * 1024 * 1024 });
    await expectBillingPartial();
    expect(stack.rawLogs()).toContain('too_large');
  });

  test('a redirect is never followed', async () => {
    const elsewhere: JwksServer = await startJwksServer();
    try {
      stack.demo.billing.faults.set({ kind: 'redirect', location: `${elsewhere.origin}/accounts/by-customer` });
      await expectBillingPartial();
      expect(elsewhere.requests).toBe(0);
    } finally {
      await elsewhere.close();
    }
  });

  test('timeouts are per upstream: a per-service override applies to that service only', async () => {
    const clock = new ManualClock(Date.now());
    const upstreams = upstreamsFor(stack.demo.urls, { UPSTREAM_TIMEOUT_MS: '2000', BILLING_API_TIMEOUT_MS: '100' }, { clock });
    try {
      stack.demo.billing.faults.latencyMs = 250;
      stack.demo.customers.faults.latencyMs = 250;
      stack.demo.billing.stats.reset();
      stack.demo.customers.stats.reset();
      const acme = customerBySlug(stack.world, 'acme');
      const billing = upstreams.billing.accountsByCustomers([acme.id]).then(
        () => 'answered',
        (error: unknown) => (error instanceof UpstreamUnavailableError ? 'timed out' : String(error)),
      );
      const customers = upstreams.customers.customersByIds([acme.id]);
      // Both calls are at their upstreams, answers 250 ms (of real time) away; 150 ms pass on the clock.
      while (stack.demo.billing.stats.total + stack.demo.customers.stats.total < 2) await new Promise((resolve) => setTimeout(resolve, 2));
      clock.advance(150);
      expect(await billing).toBe('timed out');
      expect(await customers).toHaveLength(1);
    } finally {
      await upstreams.close();
    }
  });

  test('a transient failure of a read is retried once, invisibly to the client', async () => {
    stack.demo.billing.stats.reset();
    stack.demo.billing.faults.set({ kind: 'status', status: 503, times: 1 });
    const result = await ask(SPREAD, { persona: 'alice', variables: { id: acmeId } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer.billingAccount).not.toBeNull();
    expect(stack.demo.billing.stats.byOperation['POST /accounts/by-customer']).toBe(2);
  });

  test('a persistent failure of a read is retried only once', async () => {
    stack.demo.billing.stats.reset();
    stack.demo.billing.faults.set({ kind: 'status', status: 503 });
    await expectBillingPartial();
    expect(stack.demo.billing.stats.byOperation['POST /accounts/by-customer']).toBe(2);
  });

  test('a 4xx refusal of a read is not retried', async () => {
    stack.demo.billing.stats.reset();
    stack.demo.billing.faults.set({ kind: 'status', status: 400 });
    await expectBillingPartial();
    expect(stack.demo.billing.stats.byOperation['POST /accounts/by-customer']).toBe(1);
  });

  test('writes are never retried: a failed or timed-out seat change is attempted exactly once', async () => {
    const acme = customerBySlug(stack.world, 'acme');
    const analytics = stack.world.licenses.find((l) => l.customerId === acme.id && l.productName === 'Analytics Suite')!;
    const heidi = stack.world.users.find((u) => u.customerId === acme.id && u.name.startsWith('Heidi'))!;
    const mutation = 'mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) { user { id } } }';
    for (const fault of [{ kind: 'status', status: 503 }, { kind: 'hang' }, { kind: 'status', status: 500 }] as const) {
      stack.demo.licenses.stats.reset();
      stack.demo.licenses.faults.set({ ...fault, match: `${analytics.id}/assignments` });
      const result = await ask(mutation, { persona: 'alice', variables: { l: analytics.id, u: heidi.id } });
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
      expectNoLeak(result);
      expect(stack.demo.licenses.stats.byOperation['POST /licenses/{licenseId}/assignments']).toBe(1);
    }
    expect(stack.world.assignments.some((a) => a.licenseId === analytics.id && a.userId === heidi.id)).toBe(false);
  });

  test('licenses upstream down: the entitlement lookup fails closed, Customer.usage is not shown', async () => {
    stack.demo.licenses.faults.set({ kind: 'status', status: 503 });
    const result = await ask(`query($id: ID!) { customer(id: $id) { name usage { period apiCalls } } viewer { subject } }`, {
      persona: 'alice',
      variables: { id: acmeId },
    });
    expect(result.status).toBe(200);
    expect(result.data?.customer.name).toBe('Acme Corp');
    expect(result.data?.customer.usage).toBeNull();
    expect(result.data?.viewer.subject).toBe('auth0|alice');
    expect(errorAt(result, 'customer.usage')).toBeDefined();
    expectKnownCodes(result);
    expectNoLeak(result);
  });

  test('customers upstream down: ownership cannot be established, so nothing is shown', async () => {
    const acme = customerBySlug(stack.world, 'acme');
    const globex = customerBySlug(stack.world, 'globex');
    const own = stack.world.invoices.find((i) => i.customerId === acme.id)!;
    const foreign = stack.world.invoices.find((i) => i.customerId === globex.id)!;
    const license = stack.world.licenses.find((l) => l.customerId === acme.id)!;
    stack.demo.customers.faults.set({ kind: 'status', status: 503 });
    const query = `query($own: ID!, $foreign: ID!, $lic: ID!) { own: invoice(id: $own) { number } foreign: invoice(id: $foreign) { number } license(id: $lic) { seats } viewer { subject } }`;
    const variables = { own: own.id, foreign: foreign.id, lic: license.id };
    const alice = await ask(query, { persona: 'alice', variables });
    expect(alice.status).toBe(200);
    expect(alice.data).toEqual({ own: null, foreign: null, license: null, viewer: { subject: 'auth0|alice' } });
    expectKnownCodes(alice);
    expectNoLeak(alice);
    // Support staff need no ownership lookup: the same upstream outage does not hide data from them.
    const dave = await ask(query, { persona: 'dave', variables });
    expect(dave.data?.foreign).toEqual({ number: foreign.number });
    // And the customers service is what was missing: with it back, alice sees her invoice.
    stack.demo.customers.faults.set(null);
    expect((await ask(query, { persona: 'alice', variables })).data?.own).toEqual({ number: own.number });
  });
});

describe('circuit breakers', () => {
  let stack: TestStack;
  let acmeId: string;
  const RESET_MS = 200;
  let clock: ManualClock;
  let ask: ReturnType<typeof askWith>;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    stack = await startStack({
      clock,
      env: {
        UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
        UPSTREAM_READ_RETRIES: '1',
        UPSTREAM_RETRY_DELAY_MS: '10',
        UPSTREAM_BREAKER_FAILURE_THRESHOLD: '3',
        UPSTREAM_BREAKER_WINDOW_MS: '5000',
        UPSTREAM_BREAKER_RESET_MS: String(RESET_MS),
      },
    });
    ask = askWith(stack);
    acmeId = customerBySlug(stack.world, 'acme').id;
  });
  afterAll(() => stack.stop());

  const readyz = async () => (await fetch(new URL('/readyz', stack.url))).status;

  test('a dead upstream trips its breaker: calls then fail fast without reaching it', async () => {
    stack.demo.billing.faults.set({ kind: 'hang' });
    stack.demo.billing.stats.reset();
    for (let i = 0; i < 2; i++) await ask(SPREAD, { persona: 'alice', variables: { id: acmeId } });
    expect(stack.upstreams.circuits?.().billing).toBe('open');
    const reached = stack.demo.billing.stats.total;
    expect(reached).toBe(3);
    // Failing fast needs no time to pass: the clock stays where it is (the circuit stays open).
    for (let i = 0; i < 5; i++) {
      const result = await stack.gql(SPREAD, { persona: 'alice', variables: { id: acmeId } });
      expect(errorAt(result, 'customer.billingAccount')?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(result.data?.customer.licenses.length).toBeGreaterThan(0);
    }
    // Fail fast: none of the five reached billing, so none waited for it.
    expect(stack.demo.billing.stats.total).toBe(reached);
    // One upstream down is no reason to leave the load balancer.
    expect(await readyz()).toBe(200);
    expect(stack.logs.some((line) => line.msg === 'upstream.circuit_open' && line.service === 'billing')).toBe(true);
  });

  test('a failed probe re-opens the circuit after exactly one call', async () => {
    clock.advance(RESET_MS + 50);
    stack.demo.billing.faults.set({ kind: 'status', status: 503 });
    const before = stack.demo.billing.stats.total;
    await ask(SPREAD, { persona: 'alice', variables: { id: acmeId } });
    expect(stack.demo.billing.stats.total).toBe(before + 1);
    expect(stack.upstreams.circuits?.().billing).toBe('open');
  });

  test('the upstream recovers: after the reset time one probe closes the circuit', async () => {
    stack.demo.billing.faults.set(null);
    clock.advance(RESET_MS + 50);
    const result = await ask(SPREAD, { persona: 'alice', variables: { id: acmeId } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer.billingAccount).not.toBeNull();
    expect(stack.upstreams.circuits?.().billing).toBe('closed');
  });

  test('readiness is false while every breaker is open, and returns once they may probe again', async () => {
    for (const service of [stack.demo.customers, stack.demo.billing, stack.demo.licenses])
      service.faults.set({ kind: 'status', status: 503 });
    const acme = customerBySlug(stack.world, 'acme');
    const query = `query($c: ID!, $i: ID!, $l: ID!) { customer(id: $c) { name } invoice(id: $i) { number } license(id: $l) { seats } }`;
    const variables = {
      c: acme.id,
      i: stack.world.invoices.find((i) => i.customerId === acme.id)!.id,
      l: stack.world.licenses.find((l) => l.customerId === acme.id)!.id,
    };
    // dave needs no ownership lookups, so each field reaches exactly its own upstream.
    for (let i = 0; i < 3 && Object.values(stack.upstreams.circuits!()).some((s) => s !== 'open'); i++) {
      // Small steps: retry pauses (5-15 ms) pass, the circuits' reset time (200 ms) does not.
      const result = await stack.settle(stack.gql(query, { persona: 'dave', variables }), 5);
      expect(result.status).toBe(200);
      expectKnownCodes(result);
    }
    expect(stack.upstreams.circuits!()).toEqual({ customers: 'open', billing: 'open', licenses: 'open' });
    expect(await readyz()).toBe(503);
    // Liveness is unaffected: restarting would not help.
    expect((await fetch(new URL('/healthz', stack.url))).status).toBe(200);
    for (const service of [stack.demo.customers, stack.demo.billing, stack.demo.licenses]) service.faults.set(null);
    clock.advance(RESET_MS + 50);
    expect(await readyz()).toBe(200);
    const result = await ask(query, { persona: 'dave', variables });
    expect(result.errors).toBeUndefined();
    expect(stack.upstreams.circuits!()).toEqual({ customers: 'closed', billing: 'closed', licenses: 'closed' });
  });
});
