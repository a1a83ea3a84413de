import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
  type JWTPayload,
} from 'jose';
import { AuthUnavailableError, UnauthenticatedError } from '../errors.js';
import { readBounded } from '../bounded-body.js';
import { type Clock, systemClock } from '../clock.js';
import type { AuthConfig } from '../config.js';
import type { Logger } from '../log.js';
import { principalFromClaims, type Principal } from './principal.js';

/** Settings of token verification, exactly as configured (`config.auth`). */
export type VerifierSettings = Pick<
  AuthConfig,
  | 'algorithms'
  | 'clockToleranceSeconds'
  | 'requireAtJwt'
  | 'claims'
  | 'tokenCacheSize'
  | 'tokenCacheTtlSeconds'
  | 'jwksCooldownSeconds'
  | 'jwksTimeoutMs'
  | 'jwksCacheMaxAgeSeconds'
>;

/** Where one issuer's tokens come from and whom they are for. */
export interface IssuerCoordinates {
  readonly issuer: string;
  readonly audience: string;
  /** Where the issuer's public keys are served; fetched at start-up or first use, then cached. */
  readonly jwksUrl: string;
}

/** What a verifier needs besides configuration. */
export interface VerifierDependencies {
  /** One clock for token expiry, the token cache, key-set cooldowns and fetch timeouts. */
  readonly clock?: Clock;
  /** Key-set fetches and failures are logged here (never a token). */
  readonly log?: Logger;
  /** Largest key-set response accepted, in bytes (default 512 KiB). */
  readonly jwksMaxBytes?: number;
}

/** Verifies bearer tokens; rejects with `UnauthenticatedError` or `AuthUnavailableError`. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /** Synchronous cache lookup: the principal of a token verified recently, if still valid. */
  cached(token: string): Principal | undefined;
}

/** The key-set side of a remote verifier, for readiness and start-up. */
export interface KeyStatus {
  /** True once the issuer's keys have been fetched successfully at least once. */
  ready(): boolean;
  /** Fetches the keys now (start-up, readiness retries); resolves false on failure, never rejects. */
  prefetch(): Promise<boolean>;
}

/** Builds a verifier whose remote key set is created once and shared by every request. */
export function createTokenVerifier(
  settings: VerifierSettings,
  issuer: IssuerCoordinates,
  deps: VerifierDependencies = {},
): TokenVerifier & KeyStatus {
  const clock = deps.clock ?? systemClock;
  const keySet = new RemoteKeySet(issuer.jwksUrl, settings, clock, deps);
  const keys: JWTVerifyGetKey = (header, token) => keySet.getKey(header, token);
  const now = () => clock.now();
  // Keyed by the whole token string: an exact match is the only safe key.
  const cache = new Map<string, { principal: Principal; until: number }>();

  function cached(token: string): Principal | undefined {
    const hit = cache.get(token);
    if (hit === undefined) return undefined;
    if (hit.until > now()) return hit.principal;
    cache.delete(token);
    return undefined;
  }

  function remember(token: string, principal: Principal): void {
    if (settings.tokenCacheSize === 0 || settings.tokenCacheTtlSeconds === 0) return;
    const until = Math.min(principal.expiresAt * 1000, now() + settings.tokenCacheTtlSeconds * 1000);
    if (cache.size >= settings.tokenCacheSize) {
      // Oldest insertion first: a bounded FIFO is enough for a cache that only saves CPU.
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(token, { principal, until });
  }

  async function verify(token: string): Promise<Principal> {
    const hit = cached(token);
    if (hit !== undefined) return hit;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: [...settings.algorithms],
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
        ...(settings.requireAtJwt ? { typ: 'at+jwt' } : {}),
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw classify(error);
    }
    // jose checks that `sub` is present, not that it is usable as an identity.
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new UnauthenticatedError();
    const principal = principalFromClaims(payload, settings.claims);
    remember(token, principal);
    return principal;
  }

  return { verify, cached, ready: () => keySet.ready, prefetch: () => keySet.prefetch() };
}

/**
 * Maps a verification failure to the client-facing error: only a key server that cannot be
 * reached (or answers nonsense) is 503; everything else, including failures we did not
 * foresee, denies with 401.
 */
function classify(error: unknown): Error {
  return error instanceof KeyServerUnavailable ? new AuthUnavailableError() : new UnauthenticatedError();
}

/** The issuer's key server failed; the cause is logged, never shown. */
class KeyServerUnavailable extends Error {
  constructor(cause: unknown) {
    super('JWKS unavailable', { cause });
    this.name = 'KeyServerUnavailable';
  }
}

const DEFAULT_JWKS_MAX_BYTES = 512 * 1024;
// After a failed fetch, requests fail fast for this long (at most the cooldown) instead of
// each one dialling a key server that is down.
const FAILURE_BACKOFF_MS = 1000;

/**
 * The issuer's public keys, fetched over HTTP. Unlike jose's remote key set it keeps the last
 * good keys when a later fetch fails (stale-if-error), refreshes stale keys in the background,
 * counts failed fetches against the cooldown too, bounds the response size, and never
 * follows redirects. Only the configured URL is ever fetched: `jku`, `x5u` and `jwk` headers
 * of a token are never looked at (only `alg` and `kid` select a key).
 */
class RemoteKeySet {
  private local: ReturnType<typeof createLocalJWKSet> | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | null = null;
  private readonly url: string;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly log: Logger | undefined;

  constructor(
    jwksUrl: string,
    settings: VerifierSettings,
    private readonly clock: Clock,
    deps: VerifierDependencies,
  ) {
    this.url = new URL(jwksUrl).href;
    this.cooldownMs = settings.jwksCooldownSeconds * 1000;
    this.maxAgeMs = settings.jwksCacheMaxAgeSeconds * 1000;
    this.timeoutMs = settings.jwksTimeoutMs;
    this.maxBytes = deps.jwksMaxBytes ?? DEFAULT_JWKS_MAX_BYTES;
    this.log = deps.log;
  }

  get ready(): boolean {
    return this.local !== null;
  }

  async prefetch(): Promise<boolean> {
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  /** jose's key callback: the key for the token's `alg`/`kid`. */
  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    if (this.local === null) {
      if (this.clock.now() - this.failedAt < Math.min(this.cooldownMs, FAILURE_BACKOFF_MS))
        throw new KeyServerUnavailable('recent fetch failed');
      await this.refresh();
    } else if (this.clock.now() - this.fetchedAt >= this.maxAgeMs && this.pending === null && !this.coolingDown()) {
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
    return this.clock.now() - this.attemptedAt < this.cooldownMs;
  }

  /** One fetch at a time; concurrent callers share it. Rejects with `KeyServerUnavailable`. */
  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = this.clock.now();
    try {
      const timeout = new AbortController();
      const cancelTimer = this.clock.schedule(this.timeoutMs, () => timeout.abort(new Error(`no answer within ${this.timeoutMs} ms`)));
      let text: string;
      try {
        const response = await fetch(this.url, {
          method: 'GET',
          redirect: 'manual',
          headers: { accept: 'application/json, application/jwk-set+json' },
          signal: timeout.signal,
        });
        if (response.status !== 200 || response.body === null) {
          await response.body?.cancel();
          throw new Error(`key server answered HTTP ${response.status}`);
        }
        text = (await readBounded(response.body, this.maxBytes, response.headers.get('content-length'))).toString('utf8');
      } finally {
        cancelTimer();
      }
      const jwks = JSON.parse(text) as JSONWebKeySet;
      // Throws on anything that is not a key set; a bad answer never replaces good keys.
      const local = createLocalJWKSet(jwks);
      this.local = local;
      this.fetchedAt = this.clock.now();
      this.log?.info('auth.jwks_loaded', { keys: Array.isArray(jwks.keys) ? jwks.keys.length : 0 });
    } catch (error) {
      this.failedAt = this.clock.now();
      this.log?.warn('auth.jwks_failed', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        cachedKeys: this.local !== null,
      });
      throw new KeyServerUnavailable(error);
    }
  }
}
