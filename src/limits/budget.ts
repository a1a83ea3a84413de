import {
  defaultFieldResolver,
  getNullableType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  isIntrospectionType,
  isListType,
  isObjectType,
} from 'graphql';
import { Abort, type AbortLike } from '../abort.js';
import type { Clock } from '../clock.js';
import { type BffError, RequestTimeoutError, ResponseTooLargeError } from '../errors.js';
import { isThenable } from '../authz/engine.js';

/**
 * The second line of defence behind the cost estimate: while a request executes, a budget of
 * list items it may put in the response and a deadline. Past either, the request is abandoned:
 * its upstream calls are aborted (through `signal`), every list still to resolve answers with
 * the error at once, and the response is replaced by that one error. The estimate can be
 * wrong (an upstream list longer than its declared size); this cannot.
 */

/** Per-request execution limits, from configuration. */
export interface ExecutionLimits {
  /** List items one response may hold, summed over every list field. */
  readonly maxListItems: number;
  /** Milliseconds a request may run before it is abandoned. */
  readonly timeoutMs: number;
}

/** The budget of one request. */
export class ExecutionBudget {
  private readonly controller = new Abort();
  private items = 0;
  private expected: number | undefined;
  // Counted as a smaller request in flight from the start (until its estimate says otherwise,
  // a request may be small); released once known large, or at its end.
  private readonly uncount = countSmallRequest();
  private stopped: BffError | null = null;
  private readonly cancelDeadline: () => void;
  /** This request's time slices (see `Slicer`). */
  readonly slicer = new Slicer();

  constructor(
    private readonly limits: ExecutionLimits,
    clock: Clock,
  ) {
    this.cancelDeadline = clock.schedule(limits.timeoutMs, () => this.abandon(new RequestTimeoutError(limits.timeoutMs)));
  }

  /** Aborted when the request is abandoned; upstream calls of the request listen to it. */
  get signal(): AbortLike {
    return this.controller;
  }

  /** Why the request was abandoned, or null while it may go on. */
  get stoppedBy(): BffError | null {
    return this.stopped;
  }

  /** List items counted so far. */
  get spent(): number {
    return this.items;
  }

  /** Counts `count` list items entering the response: null while within budget, else the error that stopped the request. */
  spend(count: number): BffError | null {
    if (this.stopped !== null) return this.stopped;
    this.items += count;
    if (this.items > this.limits.maxListItems) this.abandon(new ResponseTooLargeError(this.limits.maxListItems));
    return this.stopped;
  }

  /** Ends the request early with `error` (the first reason wins) and aborts its upstream calls. */
  abandon(error: BffError): void {
    if (this.stopped !== null) return;
    this.stopped = error;
    this.controller.abort(error);
  }

  /**
   * What the cost estimate says this request will produce: a large one yields more often, and
   * steps back while smaller requests are in flight (see `Slicer.background`); it no longer
   * counts as one of them. Every other request counts from its budget's creation (before its
   * estimate is known) until it ends.
   */
  expect(objects: number): void {
    this.expected = objects;
    if (!isLargeRequest(objects)) return;
    this.slicer.background();
    this.uncount();
  }

  /** The request's estimate (an upper bound on its response's values), once made. */
  get expectedObjects(): number | undefined {
    return this.expected;
  }

  /** The request is over: the deadline no longer applies. */
  end(): void {
    this.cancelDeadline();
    this.uncount();
  }
}

/** What the budget wrapper reads from a request. */
export interface BudgetContext {
  readonly budget: ExecutionBudget;
}

/**
 * How long one stretch of synchronous execution may run before it yields to the event loop.
 * Another request waits up to about one slice for each of its own turns (an upstream answer,
 * its response) while a large one runs: 2 ms keeps a small request beside a 400 ms one within
 * a few milliseconds of its idle latency, at a cost of one event-loop turn per slice.
 * Completing a large response is synchronous work in graphql-js: without yielding, one
 * tenant's big (but allowed) page blocks every other request, and `/healthz`, until it is done.
 */
export const SLICE_MS = 2;

/**
 * List items one stretch may let through to completion (see `Slicer.admit`): about 1-2 ms of
 * graphql-js work for this schema's objects (a user of four fields costs ~4.5 µs to complete,
 * an invoice edge with its node and customer more; nested lists are counted when they come).
 */
export const SLICE_ITEMS = 250;

/**
 * A request estimated to hold at least this many objects is large (tens of milliseconds of
 * work and more; the costliest the default limits accept, ~190,000 objects, takes ~400 ms):
 * it runs in short stretches, so the requests beside it wait less for each of their turns.
 * Smaller ones keep `SLICE_MS`, which costs them nothing when they run alone. (A large request
 * running usual stretches while nothing smaller was in flight measured S3-100 at 0.92 of the
 * unchecked build instead of 0.86, but a request arriving beside it then waited for one of
 * those stretches: victim p99 ratios 1.82 and 2.17 in the noisy-neighbour benchmark, against
 * 1.23-1.89 with short stretches throughout. Not worth it.)
 */
export const LARGE_REQUEST_OBJECTS = 20_000;

/** Whether a request estimated at `objects` is large (see `LARGE_REQUEST_OBJECTS`). */
export function isLargeRequest(objects: number): boolean {
  return objects >= LARGE_REQUEST_OBJECTS;
}
/**
 * While a smaller request is in flight, large work pauses this long between two stretches, all
 * large requests together: one stretch of one of them per pause, in turn. They then take at most
 * about a fifth of the process (0.5 ms in 2.5) however many they are, so the small request's
 * turns and its garbage collections are not shared with their work. (Paused one by one, eight
 * large requests took eight fifths: their timers fired in the same turn, and a small request's
 * next turn waited for all their stretches, ~4 ms.) The pause ends early, on the next turn, once
 * no smaller request is in flight any more.
 */
export const LARGE_BACKOFF_MS = 2;

// Requests of this process not known to be large: from their arrival at the front door
// (`countSmallRequest`), then from the creation of their budget (the request's context, before
// its estimate) until they end. So a request that has just arrived already makes a large one
// step back for its first turns. In shared memory: the execution worker (src/execution/) reads
// the main thread's count, so a large request executing there steps back for them too.
let inFlight = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

/** Requests in flight not known to be large (see `ExecutionBudget.expect`). */
export function smallRequestsInFlight(): number {
  return Atomics.load(inFlight, 0);
}

/** The memory holding this thread's count of smaller requests in flight (handed to the execution worker). */
export function smallRequestCounter(): SharedArrayBuffer {
  return inFlight.buffer as SharedArrayBuffer;
}

/** The execution worker: large work steps back for the main thread's smaller requests (`smallRequestCounter`). */
export function followSmallRequests(counter: SharedArrayBuffer): void {
  inFlight = new Int32Array(counter);
}

/**
 * Counts a request as a smaller one in flight, so that a large request steps back while it
 * runs: the front door from a GraphQL request's first turn (its body still to read, its caller
 * to check), then the request's budget. Returns the release (idempotent).
 */
export function countSmallRequest(): () => void {
  Atomics.add(inFlight, 0, 1);
  let counted = true;
  return () => {
    if (!counted) return;
    counted = false;
    if (Atomics.sub(inFlight, 0, 1) === 1 && pausing.size > 0 && !waking) {
      waking = true;
      setImmediate(wakePausing);
    }
  };
}

// Large work pausing for smaller requests, in the order it paused: every LARGE_BACKOFF_MS the
// first one runs a stretch (and pauses again at the back, if it still has work). Once no smaller
// request is in flight a pause only leaves the process idle (another large request's first
// turns count as smaller until its estimate is known, typically well under the pause), so the
// last one out wakes them all. While anything pauses, a turn is due: a timer is set, or a wake
// is queued that sets one if it finds smaller requests still in flight. (In the execution
// worker the count is the main thread's and changes between any two reads of it: each decision
// below reads it once.)
const pausing = new Set<() => void>();
let turnTimer: ReturnType<typeof setTimeout> | undefined;
let waking = false;

function pauseLarge(resume: () => void): void {
  pausing.add(resume);
  armTurn();
}

function armTurn(): void {
  if (pausing.size > 0) turnTimer ??= setTimeout(nextLargeTurn, LARGE_BACKOFF_MS);
}

function nextLargeTurn(): void {
  turnTimer = undefined;
  // In the execution worker nothing wakes them when the main thread's last one ends: this turn does.
  if (smallRequestsInFlight() === 0) {
    resumeAll();
    return;
  }
  const first = pausing.values().next();
  if (first.done) return;
  pausing.delete(first.value);
  armTurn();
  first.value();
}

function wakePausing(): void {
  waking = false;
  if (smallRequestsInFlight() > 0) armTurn();
  else resumeAll();
}

function resumeAll(): void {
  if (turnTimer !== undefined) clearTimeout(turnTimer);
  turnTimer = undefined;
  const all = [...pausing];
  pausing.clear();
  for (const resume of all) resume();
}

/** Stretch length of a large request (see `Slicer.shorten`). */
export const LARGE_SLICE_MS = 0.5;
/** List items per stretch of a large request. */
export const LARGE_SLICE_ITEMS = 60;

/**
 * Time slicing for one piece of work (a request's execution, a response's serialization).
 * Stretches are measured per piece of work, not per process: a small request that runs
 * beside a large one is never charged the large one's time, so it never waits behind the
 * large one's deferred lists (a process-wide stretch queued it behind all of them: another
 * tenant's S1 waited ~350 ms for a 4 MB answer to finish). A large piece of work runs at most
 * about `SLICE_MS` per turn of the event loop; several at once take `SLICE_MS` each in turn.
 */
export class Slicer {
  private sliceMs = SLICE_MS;
  private sliceItems = SLICE_ITEMS;
  private large = false;
  // When the current stretch began (-1: none) and the list items let through in it. Reset once
  // per event-loop turn by a setImmediate queued when the stretch starts, so the first check of
  // the next turn starts a new one.
  private start = -1;
  private items = 0;
  private readonly reset = () => {
    this.start = -1;
    this.items = 0;
  };
  // Values deferred by `later`, in order, and whether a turn is scheduled to hand them back.
  private readonly waiting: { readonly count: number; readonly go: () => void }[] = [];
  private scheduled = false;
  private readonly drain = () => {
    this.scheduled = false;
    let admitted = 0;
    while (admitted < this.waiting.length && this.admit(this.waiting[admitted]!.count)) admitted++;
    for (const { go } of this.waiting.splice(0, admitted)) go();
    if (this.waiting.length > 0) this.schedule();
  };

  /** Milliseconds the current stretch of this work has run (0 at its first check). */
  stretch(): number {
    const now = performance.now();
    if (this.start < 0) {
      this.start = now;
      setImmediate(this.reset);
      return 0;
    }
    return now - this.start;
  }

  /** Whether this work has run long enough in this turn that it should yield. */
  get due(): boolean {
    return this.stretch() > this.sliceMs;
  }

  /**
   * From now on this work runs in short stretches (`LARGE_SLICE_MS`, `LARGE_SLICE_ITEMS`): it
   * is large, and every request that runs beside it waits up to one of its stretches for each
   * of its own turns.
   */
  shorten(): void {
    this.sliceMs = LARGE_SLICE_MS;
    this.sliceItems = LARGE_SLICE_ITEMS;
  }

  /** This work is a large request's: it also steps back while smaller requests are in flight (`LARGE_BACKOFF_MS`). */
  background(): void {
    this.shorten();
    this.large = true;
  }

  /**
   * Whether a list of `count` items may be completed in this stretch; if so they are counted
   * in it. Time alone cannot decide: lists that wait on one upstream answer all come back in
   * the same tick, each is checked before any is completed (every check sees a fresh stretch),
   * and their completion then runs as one block (96 lists of 101 users: 45 ms). So a stretch
   * also lets through at most `SLICE_ITEMS` items; the first list of a stretch always passes,
   * however long, so every list completes.
   */
  admit(count: number): boolean {
    const fresh = this.stretch() === 0 || this.items === 0;
    if (!fresh && (this.items + count > this.sliceItems || this.due)) return false;
    this.items += count;
    return true;
  }

  /**
   * `value`, handed back on a later turn of the event loop (so others run in between), once a
   * stretch admits its `count` items: many lists deferred together would otherwise all be
   * completed in the one turn they come back in. Deferred values wait in one queue, in order,
   * and each turn hands back as many as its stretch admits: the hundred lists of one upstream
   * answer are tried once per turn at the head of the queue, not each on every turn.
   */
  later<T>(value: T, count = 0): Promise<T> {
    return new Promise((resolve) => {
      this.waiting.push({ count, go: () => resolve(value) });
      if (!this.scheduled) this.schedule();
    });
  }

  // The next try: on the next turn, or, for large work while smaller requests are in flight,
  // its next turn among the large (LARGE_BACKOFF_MS), or at once when none is any more.
  private schedule(): void {
    this.scheduled = true;
    if (this.large && smallRequestsInFlight() > 0) pauseLarge(this.drain);
    else setImmediate(this.drain);
  }
}

/**
 * Wraps every list-returning field so its items are counted against the request's budget,
 * and so a long synchronous stretch of execution yields to the event loop before completing
 * another list (time slicing: lists are where the work of a response grows). Other fields are
 * left alone, so the common path costs nothing. Returns the schema for chaining.
 */
export function applyBudget<C extends BudgetContext>(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type))) continue;
      const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, C>;
      const count = (value: unknown, budget: ExecutionBudget): unknown => {
        if (!Array.isArray(value)) return value;
        const stopped = budget.spend(value.length);
        if (stopped !== null) return stopped;
        return budget.slicer.admit(value.length) ? value : budget.slicer.later(value, value.length);
      };
      field.resolve = (parent, args, ctx, info) => {
        const budget = ctx.budget;
        const stopped = budget.stoppedBy;
        if (stopped !== null) return stopped;
        const value = resolve(parent, args, ctx, info);
        if (isThenable(value)) return Promise.resolve(value).then((settled) => count(settled, budget));
        return count(value, budget);
      };
    }
  }
  return schema;
}
