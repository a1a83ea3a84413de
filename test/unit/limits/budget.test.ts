import { jest } from '@jest/globals';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import { ManualClock } from '../../../src/clock.js';
import {
  applyBudget,
  ExecutionBudget,
  LARGE_BACKOFF_MS,
  LARGE_REQUEST_OBJECTS,
  LARGE_SLICE_ITEMS,
  SLICE_ITEMS,
  countSmallRequest,
  smallRequestsInFlight,
} from '../../../src/limits/budget.js';

/** A schema of nested lists, sized by arguments, with the execution budget applied. */
function schema() {
  return applyBudget(
    makeExecutableSchema({
      typeDefs: 'type Query { rows(n: Int!): [Row!]! } type Row { id: Int! cells(n: Int!): [Cell!]! } type Cell { v: Int! }',
      resolvers: {
        Query: { rows: (_p: unknown, { n }: { n: number }) => Array.from({ length: n }, (_, id) => ({ id })) },
        Row: { cells: (_p: unknown, { n }: { n: number }) => Array.from({ length: n }, (_, v) => ({ v })) },
      },
    }),
  );
}
// Every budget made here ends after its test, as a request's does when it is answered: a
// budget counts as a request in flight until then (see `smallRequestsInFlight`).
const made: ExecutionBudget[] = [];
const context = (maxListItems = 1_000_000) => {
  const budget = new ExecutionBudget({ maxListItems, timeoutMs: 60_000 }, new ManualClock());
  made.push(budget);
  return { budget };
};
// The timer APIs a test here may fake (see fakeOnly).
const TIMER_APIS = [
  'Date',
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

/**
 * Fakes only `faked`; everything else stays real. Timeouts only: a pause's timer fires when the
 * test advances it, while turns of the event loop (setImmediate) and the stretch clock
 * (performance) stay real. `performance` only: the stretch clock stands still.
 */
function fakeOnly(...faked: (typeof TIMER_APIS)[number][]): void {
  jest.useFakeTimers({ doNotFake: TIMER_APIS.filter((api) => !faked.includes(api)) });
}

/** A large request whose next list waits for its turn while a smaller request is in flight. */
async function largePausedBesideSmall() {
  const { budget: large } = context();
  large.expect(LARGE_REQUEST_OBJECTS);
  const { budget: small } = context();
  await new Promise((resolve) => setImmediate(resolve));
  while (large.slicer.admit(1));
  const paused = { resumed: false };
  const next = large.slicer.later(undefined, 1).then(() => {
    paused.resumed = true;
  });
  return { small, paused, next };
}

afterEach(() => {
  for (const budget of made.splice(0)) budget.end();
  expect(smallRequestsInFlight()).toBe(0);
});

test('a small response completes in one synchronous stretch (the common path does not yield)', async () => {
  // About S1's size (a viewer with its lists). The stretch clock (performance.now) is frozen:
  // in wall time a loaded machine that deschedules the process mid-run could make any run pass
  // SLICE_MS (under Jest one item already costs ~25 µs, 5x the server's). Frozen, this checks
  // what decides a small response's path besides time: its list items stay within a stretch.
  fakeOnly('performance');
  try {
    const document = parse('{ rows(n: 4) { id cells(n: 5) { v } } }');
    const built = schema();
    let synchronous = 0;
    for (let i = 0; i < 20; i++) {
      // Each run starts on a fresh turn of the event loop, as a request's execution does.
      await new Promise((resolve) => setImmediate(resolve));
      if (!(execute({ schema: built, document, contextValue: context() }) instanceof Promise)) synchronous++;
    }
    expect(synchronous).toBe(20);
  } finally {
    jest.useRealTimers();
  }
});

test('a large response yields to the event loop while it completes, so other work runs in between', async () => {
  let done = false;
  let ranDuring = false;
  setImmediate(() => {
    ranDuring = !done;
  });
  const result = await execute({
    schema: schema(),
    document: parse('{ rows(n: 400) { id cells(n: 400) { v } } }'),
    contextValue: context(),
  });
  done = true;
  expect(ranDuring).toBe(true);
  expect((result.data as { rows: unknown[] }).rows).toHaveLength(400);
});

test('past the budget of list items the request stops with RESPONSE_TOO_LARGE and aborts its signal', async () => {
  const ctx = context(1000);
  const result = await execute({ schema: schema(), document: parse('{ rows(n: 100) { cells(n: 100) { v } } }'), contextValue: ctx });
  expect(ctx.budget.stoppedBy?.extensions.code).toBe('RESPONSE_TOO_LARGE');
  expect(ctx.budget.signal.aborted).toBe(true);
  expect(result.errors?.some((e) => e.extensions.code === 'RESPONSE_TOO_LARGE')).toBe(true);
});

test('the deadline runs on the injected clock', () => {
  const clock = new ManualClock();
  const budget = new ExecutionBudget({ maxListItems: 10, timeoutMs: 1000 }, clock);
  clock.advance(999);
  expect(budget.stoppedBy).toBeNull();
  clock.advance(1);
  expect(budget.stoppedBy?.extensions.code).toBe('REQUEST_TIMEOUT');
  budget.end();
  expect(clock.pending).toBe(0);
});

test("a small request running beside a large one finishes first: it is never held back by the large one's slices", async () => {
  const built = schema();
  let largeDone = false;
  const large = Promise.resolve(
    execute({ schema: built, document: parse('{ rows(n: 400) { id cells(n: 400) { v } } }'), contextValue: context() }),
  ).then(() => {
    largeDone = true;
  });
  // The small request arrives while the large one is in the middle of its slices, as another
  // tenant's request does (an I/O callback between two of the large one's turns).
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(largeDone).toBe(false);
  const small = await execute({ schema: built, document: parse('{ rows(n: 10) { id cells(n: 10) { v } } }'), contextValue: context() });
  expect(largeDone).toBe(false);
  expect((small.data as { rows: unknown[] }).rows).toHaveLength(10);
  await large;
});

test('lists that all wait on one upstream answer are completed over several turns, not in one block', async () => {
  // As Customer.users under a page of invoices: every list resolves from the same loader
  // promise, so each is checked before any is completed; the items let through per turn bound it.
  // Answered on a later turn (a timer, as an upstream response is I/O), so every check runs in a fresh stretch.
  let answered = false;
  const members = new Promise<{ v: number }[]>((resolve) =>
    setTimeout(() => {
      answered = true;
      resolve(Array.from({ length: 100 }, (_, v) => ({ v })));
    }, 5),
  );
  const built = applyBudget(
    makeExecutableSchema({
      typeDefs: 'type Query { groups(n: Int!): [Group!]! } type Group { id: Int! members: [Cell!]! } type Cell { v: Int! }',
      resolvers: {
        Query: { groups: (_p: unknown, { n }: { n: number }) => Array.from({ length: n }, (_, id) => ({ id })) },
        Group: { members: () => members },
      },
    }),
  );
  let turns = 0;
  let done = false;
  // Turns of the event loop between the answer and the end of execution.
  const tick = () => {
    if (done) return;
    if (answered) turns++;
    setImmediate(tick);
  };
  const execution = Promise.resolve(
    execute({ schema: built, document: parse('{ groups(n: 200) { id members { v } } }'), contextValue: context() }),
  );
  setImmediate(tick);
  const result = await execution;
  done = true;
  expect((result.data as { groups: unknown[] }).groups).toHaveLength(200);
  // 20,000 items, at most SLICE_ITEMS (250) per turn: many turns of the event loop, not one.
  expect(turns).toBeGreaterThanOrEqual(15);
});

test('a request estimated large runs in shorter stretches; a smaller one keeps the usual length', async () => {
  // List items one stretch lets through, each stretch on a fresh turn, the most of five
  // (a machine that deschedules the process can end a stretch early by time, never late).
  const perStretch = async (objects: number) => {
    let most = 0;
    for (let run = 0; run < 5; run++) {
      await new Promise((resolve) => setImmediate(resolve));
      const { budget } = context();
      budget.expect(objects);
      let admitted = 0;
      while (budget.slicer.admit(1)) admitted++;
      budget.end();
      most = Math.max(most, admitted);
    }
    return most;
  };
  expect(await perStretch(LARGE_REQUEST_OBJECTS - 1)).toBe(SLICE_ITEMS);
  expect(await perStretch(LARGE_REQUEST_OBJECTS)).toBe(LARGE_SLICE_ITEMS);
});

test('a large request steps back while a smaller one is in flight, and runs on at once when none is', async () => {
  const { budget: large } = context();
  large.expect(LARGE_REQUEST_OBJECTS);
  // Turns of the event loop until the large request's next stretch may start.
  const turnsToNextStretch = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    while (large.slicer.admit(1));
    let turns = 0;
    let waiting = true;
    const tick = () => {
      if (!waiting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const started = performance.now();
    await large.slicer.later(undefined, 1);
    waiting = false;
    return { turns, ms: performance.now() - started };
  };
  expect((await turnsToNextStretch()).turns).toBeLessThanOrEqual(2);

  const { budget: small } = context();
  small.expect(LARGE_REQUEST_OBJECTS - 1);
  // A timer never fires early by more than the millisecond it is rounded to.
  expect((await turnsToNextStretch()).ms).toBeGreaterThanOrEqual(LARGE_BACKOFF_MS - 1);
  small.end();
  expect((await turnsToNextStretch()).turns).toBeLessThanOrEqual(2);

  // A request counts as smaller from its budget's creation, before its estimate...
  const { budget: arriving } = context();
  expect((await turnsToNextStretch()).ms).toBeGreaterThanOrEqual(LARGE_BACKOFF_MS - 1);
  // ...until it is known to be large too.
  arriving.expect(LARGE_REQUEST_OBJECTS);
  expect((await turnsToNextStretch()).turns).toBeLessThanOrEqual(2);
  // A request at the front door, before it has a budget, counts as well (released once).
  const release = countSmallRequest();
  expect((await turnsToNextStretch()).ms).toBeGreaterThanOrEqual(LARGE_BACKOFF_MS - 1);
  release();
  release();
  expect(smallRequestsInFlight()).toBe(0);
  expect((await turnsToNextStretch()).turns).toBeLessThanOrEqual(2);
});

test("a large request's pause ends as soon as no smaller request is in flight, not when its timer fires", async () => {
  // The pause's timer never fires unless advanced (see fakeOnly).
  fakeOnly('setTimeout', 'clearTimeout');
  try {
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const { small, paused, next } = await largePausedBesideSmall();
    for (let i = 0; i < 10; i++) await turn();
    expect(paused.resumed).toBe(false);

    small.end();
    let turns = 0;
    while (!paused.resumed && turns < 10) {
      await turn();
      turns++;
    }
    // One turn to wake, one for the stretch to start; no timer was involved.
    expect(paused.resumed).toBe(true);
    expect(turns).toBeLessThanOrEqual(3);
    await next;
    expect(jest.getTimerCount()).toBe(0);
  } finally {
    jest.useRealTimers();
  }
});

test('large requests paused for a smaller one take turns: one stretch of one of them per pause, however many they are', async () => {
  // Each pause passes when the test advances it (see fakeOnly).
  fakeOnly('setTimeout', 'clearTimeout');
  try {
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const larges = [context().budget, context().budget, context().budget];
    for (const large of larges) large.expect(LARGE_REQUEST_OBJECTS);
    const { budget: small } = context();
    await turn();
    // Each large request has run a stretch and has two more items deferred, one per stretch.
    const resumed: number[] = [];
    const all: Promise<unknown>[] = [];
    for (const [index, large] of larges.entries()) {
      while (large.slicer.admit(LARGE_SLICE_ITEMS));
      all.push(large.slicer.later(index, LARGE_SLICE_ITEMS).then((i) => resumed.push(i)));
      all.push(large.slicer.later(index, LARGE_SLICE_ITEMS).then((i) => resumed.push(i)));
    }
    const settle = async () => {
      for (let i = 0; i < 5; i++) await turn();
    };
    await settle();
    expect(resumed).toEqual([]);
    // One pause, one stretch of one request (one item: a stretch holds LARGE_SLICE_ITEMS).
    jest.advanceTimersByTime(LARGE_BACKOFF_MS);
    await settle();
    expect(resumed).toEqual([0]);
    jest.advanceTimersByTime(LARGE_BACKOFF_MS);
    await settle();
    expect(resumed).toEqual([0, 1]);
    // The first one, still with work, waits at the back.
    jest.advanceTimersByTime(LARGE_BACKOFF_MS);
    await settle();
    expect(resumed).toEqual([0, 1, 2]);
    jest.advanceTimersByTime(LARGE_BACKOFF_MS);
    await settle();
    expect(resumed).toEqual([0, 1, 2, 0]);
    // No smaller request in flight any more: the rest run on without waiting for a timer.
    small.end();
    for (let i = 0; i < 10 && resumed.length < 6; i++) await turn();
    expect(resumed).toEqual([0, 1, 2, 0, 1, 2]);
    await Promise.all(all);
    expect(jest.getTimerCount()).toBe(0);
  } finally {
    jest.useRealTimers();
  }
});

test("a count that changes between two reads (the main thread's, read in the worker) never leaves paused work without a turn", async () => {
  // In the execution worker the count of smaller requests is the main thread's, in shared memory:
  // it can change between any two reads in one turn. A turn that read 0, then decided on a second
  // read that found 1, once left the paused work with no timer and no wake: a large request hung
  // in the worker until its client gave up (noisy-neighbour run of 2026-12-01 03:27).
  fakeOnly('setTimeout', 'clearTimeout');
  const load = Atomics.load;
  try {
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const { small, paused, next } = await largePausedBesideSmall();
    for (let i = 0; i < 5; i++) await turn();
    expect(paused.resumed).toBe(false);
    // The next read finds no smaller request (the main thread's last one just ended), the one
    // after it finds one again (the next one just arrived).
    let reads = 0;
    Atomics.load = ((array: Int32Array, index: number) => (reads++ === 0 ? 0 : load(array, index))) as typeof Atomics.load;
    jest.advanceTimersByTime(LARGE_BACKOFF_MS);
    Atomics.load = load;
    expect(reads).toBeGreaterThan(0);
    for (let round = 0; round < 5 && !paused.resumed; round++) {
      for (let i = 0; i < 5; i++) await turn();
      jest.advanceTimersByTime(LARGE_BACKOFF_MS);
    }
    expect(paused.resumed).toBe(true);
    await next;
    small.end();
  } finally {
    Atomics.load = load;
    jest.useRealTimers();
  }
});
