import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { RedisConnection } from '../redis.js';
import { type CrossRequestCache, MemoryCache } from './cross-request.js';

/**
 * The cross-request cache shared by a fleet: a bounded in-memory layer per instance in front
 * of Redis, both with the configured time-to-live. A read is served from memory when it can,
 * else from Redis (and kept in memory), else it is a miss and the caller reads the backend.
 *
 * Invalidation drops the keys here, deletes them in Redis and publishes them on a channel
 * every instance subscribes to; each drops its in-memory copy when the message arrives (a
 * millisecond or two on a LAN; the tests require under 100 ms). Two races are closed:
 * - a read from Redis that started before an invalidation arrived is not kept in memory
 *   (an invalidation counter is compared before and after), so a stale value cannot be
 *   re-cached behind the invalidation;
 * - an instance that lost Redis may have missed invalidations, so when Redis is back it drops
 *   its whole in-memory layer.
 * While Redis is down the cache works per instance (memory only) and invalidations reach this
 * instance only; other instances' copies then expire within the TTL, as without Redis.
 */

/** Settings of the shared cache. */
export interface RedisCacheOptions {
  readonly clock: Clock;
  /** How long an entry is served, in memory and in Redis (> 0). */
  readonly ttlMs: number;
  /** Entries kept in memory per instance. */
  readonly maxEntries: number;
  readonly keyPrefix: string;
  readonly log: Logger;
  /** Told about every key dropped, and whether this instance or another asked. */
  readonly onInvalidated?: (origin: 'local' | 'remote', keys: readonly string[]) => void;
  /** Told about every Redis command that failed. */
  readonly onCommandError?: (operation: string) => void;
}

interface InvalidationMessage {
  readonly from: string;
  readonly keys: readonly string[];
}

/** A `CrossRequestCache` shared through Redis, invalidated on every instance by pub/sub. */
export class RedisCache implements CrossRequestCache {
  private readonly local: MemoryCache;
  private readonly instance = randomUUID();
  private readonly channel: string;
  // Bumped by every invalidation, local or remote: reads from Redis that straddle one are not kept.
  private invalidations = 0;
  private readonly listeners = new Set<(origin: 'local' | 'remote', keys: readonly string[]) => void>();
  private readonly stopReconnectWatch: () => void;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisCacheOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new RangeError(`RedisCache needs a TTL above 0, got ${options.ttlMs}`);
    this.local = new MemoryCache({ clock: options.clock, ttlMs: options.ttlMs, maxEntries: options.maxEntries });
    this.channel = `${options.keyPrefix}cache:invalidate`;
    this.stopReconnectWatch = redis.onReconnect(() => {
      this.local.clear();
      this.invalidations++;
      options.log.info('cache.local_layer_dropped', { why: 'invalidations may have been missed while Redis was unavailable' });
    });
  }

  /**
   * Subscribes to invalidations, now and after every reconnection of the subscriber; resolves
   * once subscribed, or after `waitMs` if Redis is not there (it subscribes when it comes).
   */
  async start(waitMs = 3000): Promise<void> {
    const subscriber = this.redis.subscriber();
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.received(text);
    });
    // Commands fail at once while disconnected (no offline queue), so subscribing is tied to
    // readiness rather than attempted once at start-up.
    let announce = () => {};
    const subscribed = new Promise<void>((resolve) => {
      announce = resolve;
    });
    const subscribe = async (): Promise<void> => {
      try {
        await subscriber.subscribe(this.channel);
        announce();
      } catch (error) {
        this.options.log.debug('cache.subscribe_failed', { error: error instanceof Error ? error.message : String(error) });
      }
    };
    subscriber.on('ready', () => void subscribe());
    if (subscriber.status === 'ready') void subscribe();
    let timer: NodeJS.Timeout | undefined;
    // Real time on purpose: a start-up wait on the network, like RedisConnection.connected.
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), waitMs);
    });
    if ((await Promise.race([subscribed, gaveUp])) === 'timeout') {
      this.options.log.warn('cache.not_subscribed_yet', {
        why: 'Redis unavailable: invalidations from other instances arrive once it is back',
      });
    }
    clearTimeout(timer);
  }

  /** Entries in this instance's memory layer (tests). */
  get localSize(): number {
    return this.local.size;
  }

  /** True when `key` is held in this instance's memory layer (tests assert invalidation with it). */
  holdsLocally(key: string): boolean {
    return this.local.getNow(key) !== undefined;
  }

  /** Calls `listener` after keys were dropped here (tests wait for remote invalidations with it). */
  onInvalidate(listener: (origin: 'local' | 'remote', keys: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const held = this.local.getNow<T>(key);
    if (held !== undefined || !this.redis.up) return held;
    const before = this.invalidations;
    let text: string | null;
    try {
      text = await this.redis.client.get(this.redisKey(key));
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
    if (text === null) return undefined;
    // Invalidated while the answer was on its way: a miss, never a stale copy kept.
    if (this.invalidations !== before) return undefined;
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch {
      return undefined;
    }
    await this.local.set(key, value);
    return value;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.local.set(key, value);
    if (!this.redis.up) return;
    try {
      await this.redis.client.set(this.redisKey(key), JSON.stringify(value), 'PX', this.options.ttlMs);
    } catch (error) {
      this.failed('set', error);
    }
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    this.drop('local', keys);
    if (!this.redis.up) {
      this.options.log.warn('cache.invalidation_not_shared', {
        keys,
        why: 'Redis unavailable: other instances keep their copies until the TTL',
      });
      return;
    }
    const message: InvalidationMessage = { from: this.instance, keys };
    try {
      await this.redis.client
        .multi()
        .del(...keys.map((key) => this.redisKey(key)))
        .publish(this.channel, JSON.stringify(message))
        .exec();
    } catch (error) {
      this.failed('invalidate', error);
      this.options.log.warn('cache.invalidation_not_shared', {
        keys,
        why: 'Redis command failed: other instances keep their copies until the TTL',
      });
    }
  }

  /** Unsubscribes (shutdown step; the connection itself is closed by its owner). */
  async close(): Promise<void> {
    this.stopReconnectWatch();
    try {
      await this.redis.subscriber().unsubscribe(this.channel);
    } catch {
      // Closing anyway.
    }
  }

  private received(text: string): void {
    let message: InvalidationMessage;
    try {
      message = JSON.parse(text) as InvalidationMessage;
    } catch {
      return;
    }
    // Our own message: already dropped when it was sent.
    if (message.from === this.instance || !Array.isArray(message.keys)) return;
    this.drop(
      'remote',
      message.keys.filter((key): key is string => typeof key === 'string'),
    );
  }

  private drop(origin: 'local' | 'remote', keys: readonly string[]): void {
    this.local.drop(keys);
    this.invalidations++;
    this.options.onInvalidated?.(origin, keys);
    for (const listener of this.listeners) listener(origin, keys);
  }

  private redisKey(key: string): string {
    return `${this.options.keyPrefix}cache:${key}`;
  }

  private failed(operation: string, error: unknown): void {
    this.options.onCommandError?.(`cache_${operation}`);
    this.options.log.debug('redis.cache_command_failed', { operation, error: error instanceof Error ? error.message : String(error) });
  }
}
