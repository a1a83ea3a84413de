import { randomUUID } from 'node:crypto';
import type { Result } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { RedisConnection } from '../redis.js';
import type { LimitStore, Release } from './limit-store.js';

/**
 * Fair-share counters shared by every instance through Redis, so N instances enforce one
 * limit, not N. Each decision is one Lua script, atomic in Redis:
 * - a token bucket is a hash (tokens, time) refilled from the elapsed time, exactly as the
 *   in-memory store computes it, expiring once it would be full again;
 * - concurrency slots are a sorted set of holders scored by their expiry: a slot not released
 *   within `slotTtlMs` (an instance that crashed mid-request) is dropped by the next acquire,
 *   so nobody holds slots forever.
 * Time is the instance's injected clock, passed in as an argument: one clock for every timed
 * decision (tests move it by hand); instances' clocks only need to agree within the refill
 * resolution, and a clock behind never refills a bucket backwards.
 *
 * While Redis does not answer (down, or slower than the command timeout) the store does what
 * `onError` says: `local` counts in this instance's memory (the limits as without Redis),
 * `open` admits, `closed` refuses. A request is never held waiting for Redis.
 */

/** What the store does while Redis does not answer. */
export type LimitsOnError = 'local' | 'open' | 'closed';

/** How the shared store is set up. */
export interface RedisLimitStoreOptions {
  readonly clock: Clock;
  readonly keyPrefix: string;
  /** Longest a concurrency slot is held without a release. */
  readonly slotTtlMs: number;
  readonly onError: LimitsOnError;
  /** The store used in `local` mode (this instance's memory). */
  readonly fallback: LimitStore;
  readonly log: Logger;
  /** Told about every command that failed. */
  readonly onCommandError?: (operation: 'take' | 'acquire' | 'release') => void;
}

// KEYS[1] bucket; ARGV now (ms), rate (per second), burst, amount. Returns the wait in ms (0: taken),
// as a string so fractional token counts survive Redis's integer reply conversion.
const TAKE = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local wait = 0
local deficit = (amount - tokens) * 1000 / rate
if deficit <= 1e-6 then
  tokens = math.max(0, tokens - amount)
else
  wait = math.max(1, math.ceil(deficit - 1e-6))
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'at', string.format('%.17g', math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
`;

// KEYS[1] slots; ARGV now (ms), limit, ttl (ms), holder. Returns 1 when a slot was taken.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    bffTake(key: string, now: number, rate: number, burst: number, amount: number): Result<number, Context>;
    bffAcquire(key: string, now: number, limit: number, ttlMs: number, holder: string): Result<number, Context>;
  }
}

/** A `LimitStore` in Redis, shared by every instance connected to it. */
export class RedisLimitStore implements LimitStore {
  // Holders are unique per instance and acquisition, so a release removes exactly its own slot.
  private readonly instance = randomUUID();
  private sequence = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisLimitStoreOptions,
  ) {
    redis.client.defineCommand('bffTake', { numberOfKeys: 1, lua: TAKE });
    redis.client.defineCommand('bffAcquire', { numberOfKeys: 1, lua: ACQUIRE });
  }

  async take(key: string, ratePerSecond: number, burst: number, amount = 1): Promise<number> {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    if (!(amount > 0 && amount <= burst)) throw new RangeError(`amount must be in (0, burst], got ${amount} (burst ${burst})`);
    if (this.redis.up) {
      try {
        const wait = await this.redis.client.bffTake(this.key(key), this.options.clock.now(), ratePerSecond, burst, amount);
        return Number(wait);
      } catch (error) {
        this.failed('take', error);
      }
    }
    switch (this.options.onError) {
      case 'local':
        return this.options.fallback.take(key, ratePerSecond, burst, amount);
      case 'open':
        return 0;
      case 'closed':
        // Refused as a rate limit: the client retries after a second, as for a full bucket.
        return 1000;
    }
  }

  async acquire(key: string, limit: number): Promise<Release | null> {
    if (!(limit >= 0)) throw new RangeError(`limit must be >= 0, got ${limit}`);
    if (this.redis.up) {
      const holder = `${this.instance}:${++this.sequence}`;
      const slots = this.key(key);
      try {
        const taken = await this.redis.client.bffAcquire(slots, this.options.clock.now(), limit, this.options.slotTtlMs, holder);
        if (Number(taken) !== 1) return null;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          // Not awaited: the request is over. If Redis is gone by now, the slot expires on its own.
          this.redis.client.zrem(slots, holder).catch((error: unknown) => this.failed('release', error));
        };
      } catch (error) {
        this.failed('acquire', error);
      }
    }
    switch (this.options.onError) {
      case 'local':
        return this.options.fallback.acquire(key, limit);
      case 'open':
        return () => {};
      case 'closed':
        return null;
    }
  }

  private key(key: string): string {
    return `${this.options.keyPrefix}limit:${key}`;
  }

  private failed(operation: 'take' | 'acquire' | 'release', error: unknown): void {
    this.options.onCommandError?.(operation);
    // The outage itself is logged once by the connection; a failing command is detail.
    this.options.log.debug('redis.limit_command_failed', { operation, error: error instanceof Error ? error.message : String(error) });
  }
}
