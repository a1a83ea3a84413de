import type { Clock } from '../clock.js';

/**
 * A cache that outlives one request: upstream records authorization reads on every request
 * (the caller's business user, their customer's licenses) kept for a configured time-to-live.
 * Off by default (TTL 0): then every request reads the backend and a change (a license bought
 * or expired, a user offboarded) takes effect on the next request. With a TTL, a change takes
 * effect within the TTL at the latest, or at once where the backend notifies a change
 * (`invalidate`). What is cached are upstream records, never decisions: license validity is
 * still judged against the clock on every request, so a license expiring by date is never late.
 */
export interface CrossRequestCache {
  /** The value stored under `key`, if it is still fresh. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` under `key` for the cache's time-to-live. */
  set(key: string, value: unknown): Promise<void>;
  /** Drops `keys` here and on every instance sharing the cache. */
  invalidate(keys: readonly string[]): Promise<void>;
}

/** The keys records are cached under (one place, so invalidation names them exactly). */
export const CACHE_KEYS = {
  /** Licenses of a customer (entitlements are computed from them per request). */
  licenses: (customerId: string) => `licenses:${customerId}`,
  /** Business users linked to an OIDC subject. */
  usersBySubject: (subject: string) => `users-by-subject:${subject}`,
  /** One business user by id. */
  user: (userId: string) => `user:${userId}`,
  /** The customer of an Auth0 organization. */
  customerByOrganization: (organizationId: string) => `customer-by-organization:${organizationId}`,
} as const;

/** Settings of an in-memory cache. */
export interface MemoryCacheOptions {
  readonly clock: Clock;
  /** How long an entry is served; 0 disables the cache (nothing is stored). */
  readonly ttlMs: number;
  /** Entries kept at most; the least recently used goes first. */
  readonly maxEntries: number;
}

/** A cache per instance, bounded in size, expiring on the injected clock. */
export class MemoryCache implements CrossRequestCache {
  // Map order is insertion order: re-inserting on read keeps the least recently used first.
  private readonly entries = new Map<string, { value: unknown; until: number }>();

  constructor(private readonly options: MemoryCacheOptions) {}

  /** True when the cache stores anything at all (TTL above 0). */
  get enabled(): boolean {
    return this.options.ttlMs > 0 && this.options.maxEntries > 0;
  }

  /** Entries held now (tests assert the bound). */
  get size(): number {
    return this.entries.size;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.getNow<T>(key);
  }

  /** The synchronous read behind `get` (a memory cache needs no wait). */
  getNow<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.until <= this.options.clock.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value as T;
  }

  async set(key: string, value: unknown): Promise<void> {
    if (!this.enabled) return;
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.options.clock.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    this.drop(keys);
  }

  /** Drops `keys` here only (a shared cache calls it when another instance invalidates). */
  drop(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  /** Drops everything here (a shared cache that may have missed invalidations starts over). */
  clear(): void {
    this.entries.clear();
  }
}
