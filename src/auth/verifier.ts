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
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { principalFromClaims, type ClaimNames, type Principal } from './principal.js';

/** Everything needed to verify access tokens of one issuer. */
export interface VerifierOptions extends ClaimNames {
  readonly issuer: string;
  readonly audience: string;
  /** Where the issuer's public keys are served; fetched at start-up or first use, then cached. */
  readonly jwksUrl: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  /** Enforce `typ: at+jwt` (RFC 9068) so ID tokens are never accepted as access tokens. */
  readonly requireAtJwt: boolean;
  /** Verified tokens remembered (0 disables the cache). */
  readonly cacheSize: number;
  /** Upper bound on how long a verification is reused; never beyond the token's `exp`. */
  readonly cacheTtlSeconds: number;
  /** Minimum time between two key-set fetches caused by unknown key ids (may be fractional). */
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  /** Age after which the key set is refreshed in the background (default 600). */
  readonly jwksCacheMaxAgeSeconds?: number;
  /** Largest key-set response accepted, in bytes (default 512 KiB). */
  readonly jwksMaxBytes?: number;
  /** Key-set fetches and failures are logged here (never a token). */
  readonly log?: Logger;
  /** Injected for tests that freeze time. */
  readonly now?: () => number;
}

/** Verifier options from the validated configuration and the issuer's coordinates. */
export function verifierOptionsFrom(auth: Config['auth'], issuer: { issuer: string; audience: string; jwksUrl: string }): VerifierOptions {
  return {
    ...issuer,
    algorithms: auth.algorithms,
    clockToleranceSeconds: auth.clockToleranceSeconds,
    requireAtJwt: auth.requireAtJwt,
    userIdClaim: auth.userIdClaim,
    customerIdClaim: auth.customerIdClaim,
    cacheSize: auth.tokenCacheSize,
    cacheTtlSeconds: auth.tokenCacheTtlSeconds,
    jwksCooldownSeconds: auth.jwksCooldownSeconds,
    jwksTimeoutMs: auth.jwksTimeoutMs,
    jwksCacheMaxAgeSeconds: auth.jwksCacheMaxAgeSeconds,
  };
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
export function createTokenVerifier(options: VerifierOptions): TokenVerifier & KeyStatus {
  const keySet = new RemoteKeySet(options);
  const keys: JWTVerifyGetKey = (header, token) => keySet.getKey(header, token);
  const now = options.now ?? Date.now;
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
    if (options.cacheSize === 0 || options.cacheTtlSeconds === 0) return;
    const until = Math.min(principal.expiresAt * 1000, now() + options.cacheTtlSeconds * 1000);
    if (cache.size >= options.cacheSize) {
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
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [...options.algorithms],
        clockTolerance: options.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
        ...(options.requireAtJwt ? { typ: 'at+jwt' } : {}),
        currentDate: options.now ? new Date(now()) : undefined,
      }));
    } catch (error) {
      throw classify(error);
    }
    // jose checks that `sub` is present, not that it is usable as an identity.
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new UnauthenticatedError();
    const principal = principalFromClaims(payload, options);
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

const DEFAULT_CACHE_MAX_AGE_SECONDS = 600;
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

  constructor(private readonly options: VerifierOptions) {
    this.url = new URL(options.jwksUrl).href;
    this.cooldownMs = options.jwksCooldownSeconds * 1000;
    this.maxAgeMs = (options.jwksCacheMaxAgeSeconds ?? DEFAULT_CACHE_MAX_AGE_SECONDS) * 1000;
    this.maxBytes = options.jwksMaxBytes ?? DEFAULT_JWKS_MAX_BYTES;
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
      if (Date.now() - this.failedAt < Math.min(this.cooldownMs, FAILURE_BACKOFF_MS)) throw new KeyServerUnavailable('recent fetch failed');
      await this.refresh();
    } else if (Date.now() - this.fetchedAt >= this.maxAgeMs && this.pending === null && !this.coolingDown()) {
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
    return Date.now() - this.attemptedAt < this.cooldownMs;
  }

  /** One fetch at a time; concurrent callers share it. Rejects with `KeyServerUnavailable`. */
  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = Date.now();
    try {
      const response = await fetch(this.url, {
        method: 'GET',
        redirect: 'manual',
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(this.options.jwksTimeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`key server answered HTTP ${response.status}`);
      }
      const jwks = JSON.parse(await readLimited(response, this.maxBytes)) as JSONWebKeySet;
      // Throws on anything that is not a key set; a bad answer never replaces good keys.
      const local = createLocalJWKSet(jwks);
      this.local = local;
      this.fetchedAt = Date.now();
      this.options.log?.info('auth.jwks_loaded', { keys: Array.isArray(jwks.keys) ? jwks.keys.length : 0 });
    } catch (error) {
      this.failedAt = Date.now();
      this.options.log?.warn('auth.jwks_failed', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        cachedKeys: this.local !== null,
      });
      throw new KeyServerUnavailable(error);
    }
  }
}

/** The body as text, or an error once it exceeds `limit` bytes (the rest is not read). */
async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw new Error(`key set larger than ${limit} bytes`);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`key set larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
