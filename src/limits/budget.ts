import {
  defaultFieldResolver,
  getNullableType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  isIntrospectionType,
  isListType,
  isObjectType,
} from 'graphql';
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
  private readonly controller = new AbortController();
  private items = 0;
  private stopped: BffError | null = null;
  private readonly cancelDeadline: () => void;

  constructor(
    private readonly limits: ExecutionLimits,
    clock: Clock,
  ) {
    this.cancelDeadline = clock.schedule(limits.timeoutMs, () => this.abandon(new RequestTimeoutError(limits.timeoutMs)));
  }

  /** Aborted when the request is abandoned; upstream calls of the request listen to it. */
  get signal(): AbortSignal {
    return this.controller.signal;
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

  /** The request is over: the deadline no longer applies. */
  end(): void {
    this.cancelDeadline();
  }
}

/** What the budget wrapper reads from a request. */
export interface BudgetContext {
  readonly budget: ExecutionBudget;
}

/**
 * How long one stretch of synchronous execution may run before it yields to the event loop.
 * Completing a large response is synchronous work in graphql-js: without yielding, one
 * tenant's big (but allowed) page blocks every other request, and `/healthz`, until it is done.
 */
export const SLICE_MS = 4;

// When the current synchronous stretch began (-1: none). Reset once per event-loop turn by a
// setImmediate queued when the stretch starts, so the first check of each turn starts a new one.
let stretchStart = -1;
const endStretch = () => {
  stretchStart = -1;
};

/** Milliseconds the current synchronous stretch has run (0 at its first check). */
export function stretch(): number {
  const now = performance.now();
  if (stretchStart < 0) {
    stretchStart = now;
    setImmediate(endStretch);
    return 0;
  }
  return now - stretchStart;
}

/**
 * `value`, handed back on a later turn of the event loop (so others run in between), and only
 * once that turn's stretch has room: many lists deferred together would otherwise all be
 * completed in the one turn they come back in.
 */
export function later<T>(value: T): Promise<T> {
  return new Promise((resolve) => {
    const attempt = () => {
      if (stretch() > SLICE_MS) setImmediate(attempt);
      else resolve(value);
    };
    setImmediate(attempt);
  });
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
        return stretch() > SLICE_MS ? later(value) : value;
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
