/**
 * No tenant can stall the others: every request's work is estimated before it runs (cost,
 * after variables are coerced), bounded while it runs (list items, deadline), and shared
 * fairly (per-caller and per-customer concurrency, per-caller rate); and one request writes
 * a bounded number of log lines however many fields it denies.
 */
import { request } from 'node:http';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { smallRequestsInFlight } from '../../src/limits/budget.js';
import { customerBySlug, seedWorld } from '../../src/demo/world.js';
import { type GqlResult, PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';
import { expectKnownCodes, expectNoLeak } from './leaks.js';

/** `n` aliases of `body`, named a0, a1, ... */
const aliased = (n: number, body: string) => Array.from({ length: n }, (_, i) => `a${i}: ${body}`).join(' ');
/** The shape reported by the tenant that stalled everyone: nested lists without pagination. */
const NESTED_USERS = 'viewer { customer { users { customer { users { customer { users { customer { name } } } } } } } }';

async function waitFor(condition: () => boolean): Promise<void> {
  // Yields to I/O until the servers have seen what the test waits for (no time is measured).
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('the cost estimate refuses before execution', () => {
  let stack: TestStack;
  let acmeId: string;
  beforeAll(async () => {
    stack = await startStack({ env: PRODUCTION });
    acmeId = customerBySlug(stack.world, 'acme').id;
  });
  afterAll(() => stack.stop());

  /** HTTP 200, exactly one QUERY_TOO_COMPLEX error naming the limit but no number, no upstream call. */
  async function expectTooComplex(query: string, variables: Record<string, unknown> = {}): Promise<void> {
    stack.demo.resetStats();
    const result = await stack.gql(query, { persona: 'mallory', variables });
    expect(result.status).toBe(200);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(Object.keys(result.errors![0]!.extensions!).sort()).toEqual(['code', 'exceeded']);
    expect(result.errors![0]!.message).not.toMatch(/\d/);
    expectNoLeak(result);
    expect(stack.demo.totalRequests()).toBe(0);
  }

  test('nested lists without pagination under 6 and 15 aliases', async () => {
    await expectTooComplex(`{ ${aliased(6, NESTED_USERS)} }`);
    await expectTooComplex(`{ ${aliased(15, NESTED_USERS)} }`);
  });

  test('page sizes count whether literal, variable or left at the default', async () => {
    const nested = (first: string) =>
      `customer(id: $id) { invoices${first} { edges { node { customer { invoices${first} { edges { node { number } } } } } } } }`;
    await expectTooComplex(`query($id: ID!) { ${aliased(15, nested('(first: 100)'))} }`, { id: acmeId });
    await expectTooComplex(`query($id: ID!, $n: Int!) { ${aliased(15, nested('(first: $n)'))} }`, { id: acmeId, n: 100 });
    // Omitted, `first` is 20: the same nesting under 15 aliases is still far too much.
    const withUsers = `customer(id: $id) { invoices { edges { node { customer { users { customer { users { name } } } } } } } }`;
    await expectTooComplex(`query($id: ID!) { ${aliased(15, withUsers)} }`, { id: acmeId });
  });

  test('fragments (even one named __schema) count like the fields they hold', async () => {
    await expectTooComplex(
      `{ ${aliased(6, 'viewer { ...__schema }')} } fragment __schema on Viewer { customer { users { ...U } } }
       fragment U on User { customer { users { name } } }`,
    );
  });

  test('an operation just under the limits runs, and completes within the execution budget', async () => {
    // The portal page: everything of one customer, a full page of 100 invoices with lines.
    const page = `query($id: ID!) { customer(id: $id) { name users { id name email role }
      licenses { id product { name } seats seatsUsed status assignments { assignedAt user { id name } } }
      billingAccount { balance { amount currency } }
      invoices(first: 100) { totalCount edges { node { number status issuedAt dueAt total { amount currency }
        lines { description quantity unitPrice { amount } amount { amount } } } } }
      usage { period apiCalls forecast { apiCalls confidence } } } }`;
    const result = await stack.gql(page, { persona: 'alice', variables: { id: acmeId } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer.invoices.edges.length).toBe(14);
  });
});

describe('outside production the refusal says by how much', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('the estimate, the limit and the costliest paths are in extensions', async () => {
    const result = await stack.gql(`{ ${aliased(6, NESTED_USERS)} }`, { persona: 'mallory' });
    const [error] = result.errors ?? [];
    expect(error?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', exceeded: 'objects', limit: 200_000 });
    expect(error?.extensions?.objects as number).toBeGreaterThan(200_000 * 1000);
    expect(JSON.stringify(error?.extensions?.paths)).toContain('users');
  });
});

describe('the execution budget stops what the estimate let through', () => {
  test('a response holding more list items than the budget ends with RESPONSE_TOO_LARGE, and nothing else', async () => {
    // The estimate counts `users` as at most 500; this customer has 2,000: only the budget can tell.
    const world = seedWorld({ scale: 1 });
    const acme = customerBySlug(world, 'acme');
    for (let i = 0; i < 2000; i++) {
      world.users.push({
        id: `usr_bulk${i}`,
        customerId: acme.id,
        subject: `auth0|bulk-${i}`,
        name: `Bulk ${i}`,
        email: `b${i}@acme.example`,
        role: 'member',
      });
    }
    const stack = await startStack({ world, env: { EXECUTION_MAX_LIST_ITEMS: '1000' } });
    try {
      const result = await stack.gql('{ viewer { customer { users { id name } } } }', { persona: 'alice' });
      expect(result.status).toBe(200);
      expect(result.data).toBeNull();
      expect(result.errors).toEqual([{ message: expect.stringContaining('too large'), extensions: { code: 'RESPONSE_TOO_LARGE' } }]);
      // The same query within the budget is answered in full.
      const small = await stack.gql('{ viewer { customer { licenses { id } } } }', { persona: 'alice' });
      expect(small.errors).toBeUndefined();
    } finally {
      await stack.stop();
    }
  });

  test('past its deadline a request ends with REQUEST_TIMEOUT, its upstream calls are abandoned, others are served', async () => {
    const clock = new ManualClock(Date.now());
    const stack = await startStack({ clock, env: { REQUEST_TIMEOUT_MS: '2000', UPSTREAM_TIMEOUT_MS: '60000' } });
    try {
      const acmeId = customerBySlug(stack.world, 'acme').id;
      stack.demo.billing.faults.set({ kind: 'hang' });
      const slow = stack.gql(`query($id: ID!) { customer(id: $id) { name billingAccount { id } } }`, {
        persona: 'alice',
        variables: { id: acmeId },
      });
      await waitFor(() => stack.demo.billing.stats.total === 1);
      // While it hangs the server answers everyone else.
      expect((await fetch(new URL('/healthz', stack.url))).status).toBe(200);
      expect((await stack.gql('{ viewer { subject } }', { persona: 'carol' })).data).toEqual({ viewer: { subject: 'auth0|carol' } });
      clock.advance(2000);
      const result = await slow;
      expect(result.data).toBeNull();
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['REQUEST_TIMEOUT']);
      expectNoLeak(result);
      // Abandoned, not timed out: the upstream call was aborted at the deadline, long before its own 60 s budget,
      // and that says nothing about the billing service's health.
      expect(stack.rawLogs()).not.toContain('upstream.failed');
    } finally {
      stack.demo.billing.faults.set(null);
      await stack.stop();
    }
  });
});

describe('fair sharing', () => {
  test('per caller: a burst past the rate gets 429 with Retry-After and a GraphQL error; others are not affected', async () => {
    const clock = new ManualClock(Date.now());
    const stack = await startStack({ clock, env: { RATE_LIMIT_CALLER_PER_SECOND: '1', RATE_LIMIT_CALLER_BURST: '3' } });
    try {
      const token = await stack.token('alice');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await stack.gql('{ viewer { subject } }', { token })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await stack.gql('{ viewer { subject } }', { token });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      expectKnownCodes(refused);
      // A caller known to be over its rate is refused before its request is read: even a body
      // that is not JSON gets the 429, not a 400 (a flood of refusals costs next to nothing).
      const unread = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{not json',
      });
      expect(unread.status).toBe(429);
      expect(unread.headers.get('retry-after')).toBe('1');
      expect(stack.demo.totalRequests()).toBeGreaterThan(0);
      // Another caller has a bucket of their own.
      expect((await stack.gql('{ viewer { subject } }', { persona: 'bob' })).status).toBe(200);
      // One second later alice has a token again.
      clock.advance(1000);
      expect((await stack.gql('{ viewer { subject } }', { token })).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });

  test('a caller that keeps sending while refused gets its refusals late; one that waits as told does not', async () => {
    const clock = new ManualClock(Date.now());
    const stack = await startStack({
      clock,
      env: { RATE_LIMIT_CALLER_PER_SECOND: '1', RATE_LIMIT_CALLER_BURST: '2', RATE_LIMIT_REFUSAL_HOLD_MS: '1000' },
    });
    try {
      const token = await stack.token('alice');
      const query = '{ viewer { subject } }';
      expect((await stack.gql(query, { token })).status).toBe(200);
      expect((await stack.gql(query, { token })).status).toBe(200);
      // First refusal: at once, with Retry-After.
      expect((await stack.gql(query, { token })).status).toBe(429);
      // Sent again without waiting: held until the clock has moved by the hold.
      let held: GqlResult<Record<string, unknown>> | null = null;
      const pending = stack.gql(query, { token }).then((result) => {
        held = result;
      });
      // The same caller's other connections are held too; another caller is served meanwhile.
      expect((await stack.gql(query, { persona: 'bob' })).status).toBe(200);
      clock.advance(999);
      expect(held).toBeNull();
      clock.advance(1);
      await pending;
      expect(held!.status).toBe(429);
      expect(held!.headers.get('retry-after')).toBe('1');
      expect(held!.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      // A caller that waited as told (a refusal a second or more after the last) is answered at
      // once: the clock does not move while these are awaited (a held one would never come back).
      clock.advance(1000);
      expect((await stack.gql(query, { token })).status).toBe(200);
      expect((await stack.gql(query, { token })).status).toBe(200);
      expect((await stack.gql(query, { token })).status).toBe(429);
    } finally {
      await stack.stop();
    }
  });

  test('per caller and per customer: concurrent requests past the bound get 429, other customers are served', async () => {
    const clock = new ManualClock(Date.now());
    const stack = await startStack({
      clock,
      env: { RATE_LIMIT_CALLER_CONCURRENCY: '2', RATE_LIMIT_CUSTOMER_CONCURRENCY: '3', UPSTREAM_TIMEOUT_MS: '1000' },
    });
    try {
      stack.demo.licenses.faults.set({ kind: 'hang' });
      const query = '{ viewer { customer { licenses { id } } } }';
      const alice = await stack.token('alice');
      const inFlight: Promise<GqlResult<Record<string, unknown>>>[] = [
        stack.gql(query, { token: alice }),
        stack.gql(query, { token: alice }),
      ];
      await waitFor(() => stack.demo.licenses.stats.total === 2);
      // alice holds both of her slots: a third request of hers is refused at once.
      const third = await stack.gql(query, { token: alice });
      expect(third.status).toBe(429);
      expect(third.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      // bob (also Acme) takes Acme's third slot; then Acme is full, whoever asks.
      inFlight.push(stack.gql(query, { persona: 'bob' }));
      await waitFor(() => stack.demo.licenses.stats.total === 3);
      const fourth = await stack.gql('{ viewer { subject customer { name } } }', { persona: 'bob' });
      expect(fourth.status).toBe(429);
      expect(fourth.headers.get('retry-after')).toBe('1');
      expect(fourth.errors).toEqual([{ message: expect.stringContaining('customer'), extensions: { code: 'RATE_LIMITED' } }]);
      expect(fourth.data).toBeNull();
      // Globex is another customer: served.
      expect((await stack.gql('{ viewer { subject } }', { persona: 'carol' })).status).toBe(200);
      // The hanging calls time out (on the clock); their slots are released, Acme is served again.
      stack.demo.licenses.faults.set(null);
      await stack.settle(Promise.all(inFlight));
      expect((await stack.gql('{ viewer { customer { name } } }', { persona: 'bob' })).status).toBe(200);
    } finally {
      stack.demo.licenses.faults.set(null);
      await stack.stop();
    }
  });
  test('a request counts as in flight from its arrival, before its body is read, until it is answered', async () => {
    const stack = await startStack({ env: PRODUCTION });
    try {
      const token = await stack.token('alice');
      const body = JSON.stringify({ query: '{ viewer { subject } }' });
      const target = new URL(stack.url);
      let sent!: (rest: string) => void;
      const answered = new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        // Headers and part of the body: the server has the request but cannot build its context yet.
        req.write(body.slice(0, 10));
        sent = (rest) => req.end(rest);
      });
      // Until the server has seen the request (a bounded number of polls, not a time assertion).
      let counted = 0;
      for (let poll = 0; poll < 2000 && counted === 0; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        counted = smallRequestsInFlight();
      }
      sent(body.slice(10));
      expect(await answered).toBe(200);
      expect(counted).toBe(1);
      expect(smallRequestsInFlight()).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  test('a request Apollo refuses after its context was built gives its slot back', async () => {
    const stack = await startStack({ env: { RATE_LIMIT_CALLER_CONCURRENCY: '2' } });
    try {
      const token = await stack.token('alice');
      const send = (init: { method: string; body?: string; search?: string }) =>
        fetch(`${stack.url}${init.search ?? ''}`, {
          method: init.method,
          headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
          ...(init.body === undefined ? {} : { body: init.body }),
        });
      // Both are refused by Apollo itself, after the context (and its slot) exists, with no plugin called.
      for (let i = 0; i < 3; i++) {
        const stringVariables = await send({ method: 'POST', body: '{"query": "{ viewer { subject } }", "variables": "{}"}' });
        expect(stringVariables.status).toBe(400);
        expect(((await stringVariables.json()) as GqlResult<unknown>).errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
        const mutationByGet = await send({ method: 'GET', search: `?query=${encodeURIComponent('mutation { __typename }')}` });
        expect(mutationByGet.status).toBe(405);
        await mutationByGet.text();
      }
      // Six refusals on a bound of two: alice is still served, and nothing is left counted in flight.
      expect((await stack.gql('{ viewer { subject } }', { token })).status).toBe(200);
      expect(smallRequestsInFlight()).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});

describe('fair sharing of work', () => {
  test('a caller spends estimated objects: a second heavy page waits, a light request does not, another caller is served', async () => {
    const clock = new ManualClock(Date.now());
    const stack = await startStack({
      clock,
      env: { RATE_LIMIT_CALLER_OBJECTS_PER_SECOND: '50000', RATE_LIMIT_CALLER_OBJECTS_BURST: '200000' },
    });
    try {
      const acmeId = customerBySlug(stack.world, 'acme').id;
      // About 100,800 estimated objects (each invoice's customer counted with 500 users): the
      // 200,000-object bucket holds one, not two; the clock does not move in between.
      const heavy = `query($id: ID!) { ${aliased(2, 'customer(id: $id) { invoices(first: 100) { edges { node { number customer { users { id } } } } } }')} }`;
      const token = await stack.token('alice');
      const first = await stack.gql(heavy, { token, variables: { id: acmeId } });
      expect(first.status).toBe(200);
      expect(first.errors).toBeUndefined();
      stack.demo.resetStats();
      const second = await stack.gql(heavy, { token, variables: { id: acmeId } });
      expect(second.status).toBe(429);
      expect(second.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(stack.demo.totalRequests()).toBe(0);
      // Cheap requests still fit; another caller has a bucket of their own.
      expect((await stack.gql('{ viewer { subject } }', { token })).status).toBe(200);
      expect((await stack.gql(heavy, { persona: 'bob', variables: { id: acmeId } })).status).toBe(200);
      // The bucket refills with time: the refusal said when.
      clock.advance(Number(second.headers.get('retry-after')) * 1000);
      expect((await stack.gql(heavy, { token, variables: { id: acmeId } })).status).toBe(200);
      // Every smaller request that ran is counted out again: large ones step back only while one runs.
      expect(smallRequestsInFlight()).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  test('a bucket smaller than the largest operation allowed is refused at start-up', () => {
    expect(() => loadConfig({ RATE_LIMIT_CALLER_OBJECTS_BURST: '1000' })).toThrow(
      /RATE_LIMIT_CALLER_OBJECTS_BURST: must be at least GRAPHQL_MAX_OBJECTS/,
    );
  });
});

describe('the decision log cannot be flooded', () => {
  test('a request that denies 10,000 fields writes one summary line', async () => {
    const world = seedWorld({ scale: 1 });
    const acme = customerBySlug(world, 'acme');
    for (let i = 0; i < 10_000; i++) {
      world.users.push({
        id: `usr_bulk${i}`,
        customerId: acme.id,
        subject: `auth0|bulk-${i}`,
        name: `Bulk ${i}`,
        email: `b${i}@acme.example`,
        role: 'member',
      });
    }
    const stack = await startStack({ world, env: { LOG_LEVEL: 'info' } });
    try {
      const result = await stack.gql('{ viewer { customer { users { name email } } } }', { persona: 'bob' });
      const users = result.data?.customer?.users ?? result.data?.viewer.customer.users;
      expect(users).toHaveLength(10_006);
      // bob may read his own email only.
      expect(users.filter((u: { email: string | null }) => u.email !== null)).toHaveLength(1);
      const lines = stack.logs.filter((line) => String(line.msg).startsWith('authz.denied'));
      const summaries = lines.filter((line) => line.msg === 'authz.denied');
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ subject: 'auth0|bob', customerId: acme.id, denied: 10_005 });
      const [group] = summaries[0]!.groups as { field: string; count: number; paths: string[] }[];
      expect(group).toMatchObject({ field: 'User.email', count: 10_005 });
      expect(group!.paths).toHaveLength(3);
      // The sampled detail is bounded too (debug level).
      expect(lines.filter((line) => line.msg === 'authz.denied.detail').length).toBeLessThanOrEqual(5);
      expect(stack.logs.length).toBeLessThan(50);
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
