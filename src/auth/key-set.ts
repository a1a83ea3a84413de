import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { fetchJson } from './fetch-json.js';

/** The issuer's key server (or its discovery document) failed; the cause is logged, never shown. */
export class KeyServerUnavailable extends Error {
  constructor(cause: unknown) {
    super('JWKS unavailable', { cause });
    this.name = 'KeyServerUnavailable';
  }
}

/** How a key set fetches and caches (the `AUTH_JWKS_*` settings, in milliseconds and bytes). */
export interface KeySetOptions {
  /** The issuer the keys belong to (log lines name it). */
  readonly issuer: string;
  /** The JWKS URL: configured, or discovered on first use (then remembered). Rejects on failure. */
  readonly locate: () => Promise<string>;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly clock: Clock;
  readonly log?: Logger;
}

// After a failed fetch, requests fail fast for this long (at most the cooldown) instead of
// each one dialling a key server that is down.
const FAILURE_BACKOFF_MS = 1000;

/**
 * One issuer's public keys, fetched over HTTP. Unlike jose's remote key set it keeps the last
 * good keys when a later fetch fails (stale-if-error), refreshes stale keys in the background,
 * counts failed fetches against the cooldown too, bounds the response size, and never
 * follows redirects. Only the configured (or discovered) URL is ever fetched: `jku`, `x5u`
 * and `jwk` headers of a token are never looked at (only `alg` and `kid` select a key).
 */
export class RemoteKeySet {
  private local: ReturnType<typeof createLocalJWKSet> | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | null = null;

  constructor(private readonly options: KeySetOptions) {}

  /** True once the issuer's keys have been fetched successfully at least once. */
  get ready(): boolean {
    return this.local !== null;
  }

  /** Fetches the keys now; resolves false on failure, never rejects. */
  async prefetch(): Promise<boolean> {
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * jose's key callback: the key for the token's `alg`/`kid`. While the key set is not
   * refetched, the same key object is returned for the same key (jose imports each once), so
   * a caller can tell whether the key that verified a token is still the issuer's.
   */
  async getKey(header: JWSHeaderParameters, token?: FlattenedJWSInput): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    const { clock, cooldownMs, maxAgeMs } = this.options;
    if (this.local === null) {
      if (clock.now() - this.failedAt < Math.min(cooldownMs, FAILURE_BACKOFF_MS)) throw new KeyServerUnavailable('recent fetch failed');
      await this.refresh();
    } else if (clock.now() - this.fetchedAt >= maxAgeMs && this.pending === null && !this.coolingDown()) {
      // Stale keys keep working while fresh ones are fetched; a failed refresh changes nothing.
      void this.refresh().catch(() => {});
    }
    try {
      return await this.local!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // An unknown kid may be a rotated key: refetch (or join the fetch under way), but at
      // most once per cooldown however many tokens ask (a flood of random kids costs the key
      // server one request).
      if (this.pending === null && this.coolingDown()) throw error;
      await this.refresh();
      return this.local!(header, token);
    }
  }

  private coolingDown(): boolean {
    return this.options.clock.now() - this.attemptedAt < this.options.cooldownMs;
  }

  /** One fetch at a time; concurrent callers share it. Rejects with `KeyServerUnavailable`. */
  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    const { clock, log, issuer } = this.options;
    this.attemptedAt = clock.now();
    try {
      const url = await this.options.locate();
      const jwks = (await fetchJson(url, {
        clock,
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.maxBytes,
        accept: 'application/json, application/jwk-set+json',
      })) as JSONWebKeySet;
      // Throws on anything that is not a key set; a bad answer never replaces good keys.
      const local = createLocalJWKSet(jwks);
      this.local = local;
      this.fetchedAt = clock.now();
      log?.info('auth.jwks_loaded', { issuer, keys: Array.isArray(jwks.keys) ? jwks.keys.length : 0 });
    } catch (error) {
      this.failedAt = clock.now();
      log?.warn('auth.jwks_failed', {
        issuer,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        cachedKeys: this.local !== null,
      });
      throw new KeyServerUnavailable(error);
    }
  }
}
