import type { Clock } from '../clock.js';

/**
 * Counters for fair sharing: concurrency slots and token buckets, per key (a tenant, a
 * subject, a client id). A shared store (Redis) answers with promises, for a fleet; the
 * in-memory store below, for one instance, answers at once: every request asks it five times,
 * and a promise each was a turn of the microtask queue for nothing.
 */

/** A value now, or later. */
export type MaybePromise<T> = T | Promise<T>;

/** `then(value)` at once when `value` is already there, else once it settles. */
export function whenReady<T, U>(value: MaybePromise<T>, then: (settled: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/** Gives a concurrency slot back; calling it again does nothing. */
export type Release = () => void;

/** Where per-key limits are counted. */
export interface LimitStore {
  /**
   * Takes one of `limit` concurrent slots under `key`: a release function, or null when all
   * are taken. The caller must release on every path (finally), or the slot stays taken.
   */
  acquire(key: string, limit: number): MaybePromise<Release | null>;
  /**
   * Takes `amount` tokens (default 1, at most `burst`) from bucket `key`, which refills at
   * `ratePerSecond` and holds at most `burst`: 0 when they were taken, else the milliseconds
   * until that many are available (nothing is taken then). A key seen for the first time
   * starts with a full bucket.
   */
  take(key: string, ratePerSecond: number, burst: number, amount?: number): MaybePromise<number>;
}

/** Options of the in-memory store. */
export interface MemoryLimitStoreOptions {
  /** Time source of the buckets; tests pass a ManualClock. */
  readonly clock: Clock;
  /**
   * Most keys kept, per kind (slots, buckets); default 100,000. An entry is about 150 bytes
   * plus its key, so the default bounds the store near 2 x 100,000 x (150 + key) bytes,
   * ~40 MB with 50-character keys, however many distinct keys arrive.
   */
  readonly maxKeys?: number;
}

/** The in-memory store, with its current size for tests and metrics. */
export interface MemoryLimitStore extends LimitStore {
  acquire(key: string, limit: number): Release | null;
  take(key: string, ratePerSecond: number, burst: number, amount?: number): number;
  /** Keys currently held: slots with a holder, buckets not yet known to be full again. */
  readonly size: { readonly slots: number; readonly buckets: number };
}

interface Bucket {
  tokens: number;
  /** Clock time `tokens` was computed at. */
  at: number;
  ratePerSecond: number;
  burst: number;
}

/** Float error allowed on token counts (when is a bucket full) and on waits, in milliseconds. */
const EPSILON = 1e-9;
const TOLERANCE_MS = 1e-6;

/**
 * The store for one instance. Memory stays bounded without timers:
 * - a slot entry exists only while it has holders (deleted at the last release); with
 *   `maxKeys` keys holding slots, a new key is refused (null), which fails closed at a count
 *   no single instance's concurrency comes near;
 * - buckets are kept least recently used first; each `take` drops buckets at the old end that
 *   have refilled completely (a full bucket is the same as no bucket), and past `maxKeys`
 *   drops the least recently used one even if not full: that key starts over with a full
 *   burst, a leak that needs more than `maxKeys` keys active within one refill time.
 */
export function createMemoryLimitStore(options: MemoryLimitStoreOptions): MemoryLimitStore {
  const { clock } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be an integer >= 1, got ${maxKeys}`);
  const slots = new Map<string, number>();
  // Map iteration is insertion order: delete-and-set on use keeps it least recently used first.
  const buckets = new Map<string, Bucket>();

  const refilled = (bucket: Bucket, now: number): number =>
    Math.min(bucket.burst, bucket.tokens + (Math.max(0, now - bucket.at) * bucket.ratePerSecond) / 1000);

  // Clock time of the last sweep. A bucket fills up only as time passes (a take leaves it short of
  // its burst), so sweeping again at the same time would find nothing new; and a full bucket
  // answers as a missing one does, so when it is dropped never changes an answer.
  let sweptAt = Number.NaN;
  const sweep = (now: number): void => {
    if (now !== sweptAt) {
      sweptAt = now;
      for (const [key, bucket] of buckets) {
        if (refilled(bucket, now) < bucket.burst - EPSILON) break;
        buckets.delete(key);
      }
    }
    // Still full: the least recently used goes (see above).
    while (buckets.size >= maxKeys) {
      const oldest = buckets.keys().next();
      if (oldest.done) break;
      buckets.delete(oldest.value);
    }
  };

  return {
    acquire(key, limit) {
      if (!(limit >= 0)) throw new RangeError(`limit must be >= 0, got ${limit}`);
      const held = slots.get(key) ?? 0;
      if (held >= limit) return null;
      if (held === 0 && slots.size >= maxKeys) return null;
      slots.set(key, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (slots.get(key) ?? 1) - 1;
        if (left <= 0) slots.delete(key);
        else slots.set(key, left);
      };
    },

    take(key, ratePerSecond, burst, amount = 1) {
      if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
      if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be >= 1, got ${burst}`);
      if (!(amount > 0 && amount <= burst)) throw new RangeError(`amount must be in (0, burst], got ${amount} (burst ${burst})`);
      const now = clock.now();
      const known = buckets.get(key);
      // The bucket's own rate and burst refill what it had; this call's apply from here on.
      let tokens = known ? Math.min(burst, refilled(known, now)) : burst;
      buckets.delete(key);
      sweep(now);
      // Decided in milliseconds, with one tolerance for both branches, so that float error
      // neither turns a 1 ms wait into 2 nor refuses a retry made after the announced wait.
      const deficitMs = ((amount - tokens) * 1000) / ratePerSecond;
      let wait = 0;
      if (deficitMs <= TOLERANCE_MS) tokens = Math.max(0, tokens - amount);
      else wait = Math.max(1, Math.ceil(deficitMs - TOLERANCE_MS));
      // The same object, moved to the recent end (no allocation per request).
      if (known === undefined) buckets.set(key, { tokens, at: now, ratePerSecond, burst });
      else {
        known.tokens = tokens;
        known.at = now;
        known.ratePerSecond = ratePerSecond;
        known.burst = burst;
        buckets.set(key, known);
      }
      return wait;
    },

    get size() {
      return { slots: slots.size, buckets: buckets.size };
    },
  };
}
