import type { Config } from '../config.js';
import { RateLimitedError } from '../errors.js';
import { type LimitStore, type MaybePromise, type Release, whenReady } from './limit-store.js';

/**
 * Fair sharing between tenants: a bound on concurrent requests per caller (token subject) and
 * per customer, and a token bucket per caller. The counters live in a `LimitStore` (in memory
 * per instance, or Redis for a fleet). Each answer comes as the store gives it: at once from
 * memory, as a promise from Redis.
 */

/** The bounds, from configuration (`config.fairShare`). */
export type FairShareLimits = Config['fairShare'];

// When a concurrency slot frees up is unknown: clients are told to wait a second.
const CONCURRENCY_RETRY_MS = 1000;

/** Admits requests within the configured bounds. */
export class Admission {
  constructor(
    private readonly store: LimitStore,
    private readonly limits: FairShareLimits,
  ) {}

  /** Takes one request from `subject`'s rate: null, or the refusal (429) saying when to retry. */
  takeCallerRate(subject: string): MaybePromise<RateLimitedError | null> {
    return whenReady(this.store.take(`rate:caller:${subject}`, this.limits.callerPerSecond, this.limits.callerBurst), (wait) =>
      wait > 0 ? new RateLimitedError('caller', wait) : null,
    );
  }

  /** Takes one of `subject`'s concurrent slots: a release for when the request ends, or throws `RateLimitedError` (429). */
  acquireCallerSlot(subject: string): MaybePromise<Release> {
    return whenReady(this.store.acquire(`concurrent:caller:${subject}`, this.limits.callerConcurrency), (release) => {
      if (release === null) throw new RateLimitedError('caller', CONCURRENCY_RETRY_MS);
      return release;
    });
  }

  /**
   * Builds a request's context holding one of `subject`'s concurrent slots, given back when the
   * context's scope ends; throws `RateLimitedError` (429) when none is free. From memory the
   * slot is there at once: no turn of the event loop for it.
   */
  enterCaller<C extends { readonly scope: { onEnd(release: Release): void } }>(subject: string, build: () => C): MaybePromise<C> {
    return whenReady(this.acquireCallerSlot(subject), (release) => {
      const ctx = build();
      ctx.scope.onEnd(release);
      return ctx;
    });
  }

  /** Spends a request's estimate from its caller's bucket (`admitCallerWork`): nothing when admitted, else throws the refusal (429). */
  chargeCallerWork(subject: string, objects: number): MaybePromise<void> {
    return whenReady(this.admitCallerWork(subject, objects), (refused) => {
      if (refused !== null) throw refused;
    });
  }

  /**
   * Spends a request's estimated objects from its caller's bucket before it runs: null when
   * admitted, else the refusal (429) saying when the caller may ask that much again.
   */
  admitCallerWork(subject: string, objects: number): MaybePromise<RateLimitedError | null> {
    if (objects <= 0) return null;
    const { callerObjectsPerSecond: rate, callerObjectsBurst: burst } = this.limits;
    return whenReady(this.store.take(`objects:caller:${subject}`, rate, burst, Math.min(objects, burst)), (wait) =>
      wait > 0 ? new RateLimitedError('caller', wait) : null,
    );
  }

  /** Spends a request's estimated objects from its customer's bucket (once the customer is known): null, or the refusal. */
  admitCustomerWork(customerId: string, objects: number): MaybePromise<RateLimitedError | null> {
    if (objects <= 0) return null;
    const { customerObjectsPerSecond: rate, customerObjectsBurst: burst } = this.limits;
    return whenReady(this.store.take(`objects:customer:${customerId}`, rate, burst, Math.min(objects, burst)), (wait) =>
      wait > 0 ? new RateLimitedError('customer', wait) : null,
    );
  }

  /** Admits one request for `customerId` (once the caller's customer is known): a release, or the refusal. */
  admitCustomer(customerId: string): MaybePromise<Release | RateLimitedError> {
    return whenReady(
      this.store.acquire(`concurrent:customer:${customerId}`, this.limits.customerConcurrency),
      (release) => release ?? new RateLimitedError('customer', CONCURRENCY_RETRY_MS),
    );
  }
}
