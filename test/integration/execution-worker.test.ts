import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../src/clock.js';
import { customerBySlug } from '../../src/demo/world.js';
import { type GqlResult, type TestStack, startStack } from '../helpers/stack.js';

/**
 * Large queries (estimate >= LARGE_REQUEST_OBJECTS) execute in the execution worker
 * (src/execution/). What must hold: the client cannot tell (same bytes, same status, same
 * errors), the operator can (the request line says so), and everything that belongs to the
 * request still happens once, in the main thread's terms: the caller's identity lookup, the
 * decision log line, the metrics, the deadline.
 */

// 100 invoices, each with its customer's licenses and users: estimated above 20,000 objects.
const LARGE = `query Large($id: ID!) {
  customer(id: $id) {
    invoices(first: 100) {
      edges { node { id number customer { name licenses { id status product { name } } users { id name email } } } }
    }
  }
}`;
// The same with a page of 5: executed in place.
const SMALL = LARGE.replace('first: 100', 'first: 5').replace('Large', 'Small');
// bob reads licenses and users, but only his own e-mail: every other assigned user's is denied
// (estimated at 30,042 objects: every license's assignments, each with its user).
const LARGE_DENIALS = `query Denials($id: ID!) {
  customer(id: $id) { licenses { id assignments { user { id name email } } } }
}`;

/** A thread's nice value, as the kernel has it (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOf(thread: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${thread}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
}

function requestLine(stack: TestStack, result: GqlResult<unknown>): Record<string, unknown> {
  const requestId = result.headers.get('x-request-id');
  const line = stack.logs.find((entry) => entry.msg === 'http.request' && entry.requestId === requestId);
  if (line === undefined) throw new Error(`no request line for ${requestId}`);
  return line;
}

describe('large queries execute in the worker', () => {
  let inWorker: TestStack;
  let inPlace: TestStack;
  let acmeId: string;

  beforeAll(async () => {
    inWorker = await startStack({ scale: 1, env: { EXECUTION_MAX_LIST_ITEMS: '1000000' } });
    inPlace = await startStack({ sameDeploymentAs: inWorker, env: { EXECUTION_WORKER: 'false', EXECUTION_MAX_LIST_ITEMS: '1000000' } });
    acmeId = customerBySlug(inWorker.world, 'acme').id;
  }, 60_000);

  afterAll(async () => {
    await inPlace?.stop();
    await inWorker?.stop();
  });

  // bob and frank have no billing permission: their permissions alone deny the invoices, so what
  // they can read of LARGE is small and it executes in place (a hand-over costs ~1 ms of CPU).
  test.each([
    ['alice', LARGE, 'worker'],
    ['bob', LARGE, undefined],
    ['carol', LARGE, 'worker'],
    ['dave', LARGE, 'worker'],
    ['frank', LARGE, undefined],
    ['bob', LARGE_DENIALS, 'worker'],
  ] as const)('%s: the same bytes and status as executed in place (%#)', async (persona, query, where) => {
    const variables = { id: acmeId };
    const worker = await inWorker.gql(query, { persona, variables });
    const place = await inPlace.gql(query, { persona, variables });
    expect(requestLine(inWorker, worker).executedIn).toBe(where);
    expect(requestLine(inPlace, place).executedIn).toBeUndefined();
    expect(worker.status).toBe(place.status);
    expect(worker.text).toBe(place.text);
  });

  test('what a large query returns is really there (not an empty answer twice)', async () => {
    const result = await inWorker.gql(LARGE, { persona: 'alice', variables: { id: acmeId } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer.invoices.edges.length).toBeGreaterThan(0);
    expect(result.data?.customer.invoices.edges[0].node.customer.users.length).toBeGreaterThan(0);
  });

  // Linux only: elsewhere a thread has no priority of its own, and the start-up line says so.
  (process.platform === 'linux' ? test : test.skip)(
    'its thread runs EXECUTION_WORKER_NICE (10) nice values below the main thread, which keeps its own',
    () => {
      const started = inWorker.logs.find((line) => line.msg === 'execution.worker_started');
      expect(started).toMatchObject({ level: 'info', thread: expect.any(Number), nice: expect.any(Number) });
      const main = niceOf(process.pid);
      expect(niceOf(started!.thread as number)).toBe(Math.min(19, main + 10));
      expect(started!.nice).toBe(Math.min(19, main + 10));
      expect(main).toBe(getPriority());
      // Nothing else in the process is lowered with it (libuv's pool, V8's helper threads, Jest's own).
      const others = readdirSync(`/proc/${process.pid}/task`)
        .map(Number)
        .filter((thread) => thread !== started!.thread);
      expect(others.length).toBeGreaterThan(4);
      expect(others.filter((thread) => niceOf(thread) !== main)).toEqual([]);
    },
  );

  test('a query below the threshold executes in place', async () => {
    const result = await inWorker.gql(SMALL, { persona: 'alice', variables: { id: acmeId } });
    expect(result.errors).toBeUndefined();
    expect(requestLine(inWorker, result).executedIn).toBeUndefined();
  });

  test("the worker asks the request's own identity: one lookup per request, as in place", async () => {
    const count = (stack: TestStack) => stack.demo.customers.stats.byOperation['POST /users/by-subject'] ?? 0;
    const before = count(inWorker);
    const result = await inWorker.gql(LARGE, { persona: 'alice', variables: { id: acmeId } });
    expect(requestLine(inWorker, result).executedIn).toBe('worker');
    expect(count(inWorker) - before).toBe(1);
  });

  test('one decision log line per request, with its request id, and the denials counted in metrics', async () => {
    const result = await inWorker.gql(LARGE_DENIALS, { persona: 'bob', variables: { id: acmeId } });
    const line = requestLine(inWorker, result);
    expect(line.executedIn).toBe('worker');
    const summaries = inWorker.logs.filter((entry) => entry.msg === 'authz.denied' && entry.requestId === line.requestId);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ subject: 'auth0|bob', customerId: acmeId, operationName: 'Denials' });
    const denied = summaries[0]!.denied as number;
    expect(denied).toBeGreaterThan(1);
    expect(result.errors?.some((error) => error.extensions?.code === 'FORBIDDEN')).toBe(true);
    const metrics = await (await fetch(new URL('/metrics', inWorker.url))).text();
    expect(metrics).toMatch(/bff_authz_denials_total\{[^}]*coordinate="User\.email"[^}]*\} [1-9]/);
  });
});

describe('a worker that dies', () => {
  test('fails the requests in it with an internal error, logged; the next large query starts a new one', async () => {
    const stack = await startStack({ scale: 1, env: { LOG_LEVEL: 'info' } });
    try {
      const id = customerBySlug(stack.world, 'acme').id;
      stack.demo.billing.faults.set({ kind: 'hang', match: 'invoices' });
      const pending = stack.gql(LARGE, { persona: 'alice', variables: { id } });
      while ((stack.demo.billing.stats.total ?? 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // What a crash does to the thread (nothing in the product ends it but shutdown).
      await (stack.app.executor as unknown as { worker: Worker }).worker.terminate();
      const result = await pending;
      expect(result.status).toBe(200);
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(result.text).not.toMatch(/worker|exited|at .*\.ts/);
      expect(stack.logs.some((line) => line.msg === 'execution.worker_lost' && line.level === 'error')).toBe(true);
      stack.demo.billing.faults.set(null);
      const next = await stack.gql(LARGE, { persona: 'alice', variables: { id } });
      expect(next.errors).toBeUndefined();
      expect(requestLine(stack, next).executedIn).toBe('worker');
    } finally {
      await stack.stop();
    }
  }, 60_000);
});

describe('limits reach into the worker', () => {
  test('the response budget ends a large query there exactly as in place', async () => {
    const env = { EXECUTION_MAX_LIST_ITEMS: '100' };
    const inWorker = await startStack({ scale: 1, env });
    const inPlace = await startStack({ sameDeploymentAs: inWorker, env: { ...env, EXECUTION_WORKER: 'false' } });
    try {
      const id = customerBySlug(inWorker.world, 'acme').id;
      const worker = await inWorker.gql(LARGE, { persona: 'alice', variables: { id } });
      const place = await inPlace.gql(LARGE, { persona: 'alice', variables: { id } });
      expect(requestLine(inWorker, worker).executedIn).toBe('worker');
      expect(worker.errors?.map((error) => error.extensions?.code)).toEqual(['RESPONSE_TOO_LARGE']);
      expect(worker.status).toBe(place.status);
      expect(worker.text).toBe(place.text);
    } finally {
      await inPlace.stop();
      await inWorker.stop();
    }
  }, 60_000);

  test("the main thread's deadline ends the worker's execution and aborts its upstream call", async () => {
    const clock = new ManualClock();
    // The worker's upstream calls run on real time: give them far longer than the test takes.
    const stack = await startStack({ scale: 1, clock, env: { UPSTREAM_TIMEOUT_MS: '120000', REQUEST_TIMEOUT_MS: '1000' } });
    try {
      const id = customerBySlug(stack.world, 'acme').id;
      stack.demo.billing.faults.set({ kind: 'hang', match: 'invoices' });
      stack.demo.billing.stats.reset();
      const pending = stack.gql(LARGE, { persona: 'alice', variables: { id } });
      // Until the worker's call for the page is hanging at the billing service.
      while ((stack.demo.billing.stats.total ?? 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      clock.advance(1000);
      const result = await pending;
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['REQUEST_TIMEOUT']);
      expect(result.data).toBeNull();
      expect(requestLine(stack, result).executedIn).toBe('worker');
      // The worker is free again: the next large query is answered.
      stack.demo.billing.faults.set(null);
      const next = await stack.gql(LARGE, { persona: 'alice', variables: { id } });
      expect(next.errors).toBeUndefined();
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
