import { errors, jwtVerify, type JWSHeaderParameters, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { type Clock, systemClock } from '../clock.js';
import type { AuthConfig } from '../config.js';
import { AuthUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { discoverJwksUrl } from './discovery.js';
import { claimedIssuer, discoveryUrl, issuerForms, issuerKey } from './issuers.js';
import { KeyServerUnavailable, RemoteKeySet } from './key-set.js';
import { type Principal, principalFromClaims } from './principal.js';
import { type RejectionReason, Rejections, type TokenRejectedError } from './rejections.js';

/** Settings of token verification, exactly as configured (`config.auth`). */
export type VerifierSettings = Pick<
  AuthConfig,
  | 'algorithms'
  | 'clockToleranceSeconds'
  | 'requireAtJwt'
  | 'claims'
  | 'rejectionLogWindowSeconds'
  | 'tokenCacheSize'
  | 'tokenCacheTtlSeconds'
  | 'jwksCooldownSeconds'
  | 'jwksTimeoutMs'
  | 'jwksCacheMaxAgeSeconds'
>;

/** Where one issuer's tokens come from and whom they are for. */
export interface IssuerCoordinates {
  /** `iss` of its tokens (with or without the trailing slash: both forms are accepted). */
  readonly issuer: string;
  /** A token must name at least one of these in `aud`. */
  readonly audiences: readonly string[];
  /** Where the issuer's public keys are served; `null`: discovered from its OpenID configuration. */
  readonly jwksUrl: string | null;
}

/** What a verifier needs besides configuration. */
export interface VerifierDependencies {
  /** One clock for token expiry, the token cache, key-set cooldowns, fetch timeouts and log windows. */
  readonly clock?: Clock;
  /** Key-set fetches, failures and rejections are logged here (never a token). */
  readonly log?: Logger;
  /** Largest key-set (or discovery) response accepted, in bytes (default 512 KiB). */
  readonly jwksMaxBytes?: number;
}

/** Verifies bearer tokens; rejects with `UnauthenticatedError` or `AuthUnavailableError`. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /** Synchronous cache lookup: the principal of a token verified recently, if still valid. */
  cached(token: string): Principal | undefined;
  /** A 401 for a request refused before verification (no or malformed header), logged like the rest. */
  refuse(reason: RejectionReason, message?: string): TokenRejectedError;
}

/** How well the verified-token cache works, for the metrics (counted since start). */
export interface TokenCacheStats {
  /**
   * `hits`: tokens answered from the cache without a signature check (`revalidated` included);
   * `misses`: tokens that had to be verified (or were refused); `revalidated`: cached tokens
   * whose TTL ran out, kept because the key that verified them is still the issuer's.
   */
  cacheStats(): { readonly hits: number; readonly misses: number; readonly revalidated: number };
}

/** The key-set side of a remote verifier, for readiness and start-up. */
export interface KeyStatus {
  /** True once every issuer's keys have been fetched successfully at least once. */
  ready(): boolean;
  /** Fetches every issuer's keys now (start-up, readiness retries); resolves false if any failed, never rejects. */
  prefetch(): Promise<boolean>;
  /** Issuers whose keys have not been fetched yet. */
  notReady(): string[];
}

const DEFAULT_JWKS_MAX_BYTES = 512 * 1024;
// An `iss` is attacker-controlled text: log enough of it to recognise a misconfiguration.
const MAX_LOGGED_ISSUER = 200;

/** One configured issuer, ready to verify: the `iss` forms it accepts, its audiences, its keys. */
interface TrustedIssuer {
  readonly issuer: string;
  readonly accepted: string[];
  readonly audiences: string[];
  readonly keySet: RemoteKeySet;
  readonly keys: JWTVerifyGetKey;
}

/** A verified token, remembered: what it proved, and what proved it. */
interface VerifiedToken {
  readonly principal: Principal;
  /** Reused without any check until then (ms): at most the TTL, never past `exp`. */
  until: number;
  /** The token's `exp` (ms): never reused, nor revalidated, from then on. */
  readonly expires: number;
  readonly issuer: TrustedIssuer;
  /** The signed header (`alg`, `kid`) that selected the key, and the key object that verified the signature. */
  readonly header: JWSHeaderParameters;
  readonly key: unknown;
}

/**
 * Builds a verifier for one or several issuers. Each issuer's key set is created once and
 * shared by every request; a token is verified only against the issuer its `iss` names.
 */
export function createTokenVerifier(
  settings: VerifierSettings,
  issuers: readonly IssuerCoordinates[],
  deps: VerifierDependencies = {},
): TokenVerifier & KeyStatus & TokenCacheStats {
  if (issuers.length === 0) throw new Error('createTokenVerifier: at least one issuer is required');
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const rejections = new Rejections(log, clock, settings.rejectionLogWindowSeconds);
  const trusted = new Map<string, TrustedIssuer>();
  for (const coordinates of issuers) {
    const key = issuerKey(coordinates.issuer);
    if (trusted.has(key)) throw new Error(`createTokenVerifier: issuer ${coordinates.issuer} is configured twice`);
    trusted.set(key, trust(coordinates, settings, clock, deps));
  }
  const now = () => clock.now();
  // Keyed by the whole token string: an exact match is the only safe key. Entries past their
  // TTL stay (until `exp` or eviction) so that `verify` can revalidate them.
  const cache = new Map<string, VerifiedToken>();
  // Plain numbers, read when metrics are scraped: nothing per request beyond an increment.
  let hits = 0;
  let misses = 0;
  let revalidated = 0;

  function cached(token: string): Principal | undefined {
    const hit = cache.get(token);
    if (hit === undefined) return undefined;
    if (hit.until > now()) {
      hits++;
      return hit.principal;
    }
    if (hit.expires <= now()) cache.delete(token);
    return undefined;
  }

  function remember(token: string, entry: VerifiedToken): void {
    if (settings.tokenCacheSize === 0 || settings.tokenCacheTtlSeconds === 0) return;
    entry.until = Math.min(entry.expires, now() + settings.tokenCacheTtlSeconds * 1000);
    // Re-inserted at the end: a revalidated token is as fresh as a verified one.
    cache.delete(token);
    if (cache.size >= settings.tokenCacheSize) {
      // Oldest insertion first: a bounded FIFO is enough for a cache that only saves CPU.
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(token, entry);
  }

  /**
   * A cached token whose TTL ran out, before its `exp`: its signature, claims and issuer were
   * checked and cannot have changed; only the issuer's key set can have. So it is kept when
   * the key set still returns the very key object that verified it: the key set has not been
   * refetched since (a refetch imports new key objects, even for unchanged keys, and the token
   * is then verified in full once). Anything else (key gone, replaced, several matching, key
   * server down) is verified in full, which says why it fails. The key set's own rules apply
   * as for any token: stale keys are refreshed in the background, an unknown kid refetches at
   * most once per cooldown.
   */
  async function revalidate(token: string, entry: VerifiedToken): Promise<Principal | undefined> {
    let key: unknown;
    try {
      key = await entry.issuer.keySet.getKey(entry.header);
    } catch {
      key = undefined;
    }
    if (key === entry.key && entry.expires > now()) {
      remember(token, entry);
      revalidated++;
      hits++;
      return entry.principal;
    }
    cache.delete(token);
    return undefined;
  }

  async function verify(token: string): Promise<Principal> {
    const hit = cached(token);
    if (hit !== undefined) return hit;
    const stale = cache.get(token);
    if (stale !== undefined) {
      const kept = await revalidate(token, stale);
      if (kept !== undefined) return kept;
    }
    misses++;
    const iss = claimedIssuer(token);
    if (iss === undefined) throw rejections.reject('malformed');
    const issuer = iss === null ? undefined : trusted.get(issuerKey(iss));
    if (issuer === undefined) throw rejections.reject('unknown_issuer', { claimedIssuer: iss?.slice(0, MAX_LOGGED_ISSUER) ?? null });
    let payload: JWTPayload;
    let header: JWSHeaderParameters;
    let key: unknown;
    try {
      ({
        payload,
        protectedHeader: header,
        key,
      } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.accepted,
        audience: issuer.audiences,
        algorithms: [...settings.algorithms],
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
        ...(settings.requireAtJwt ? { typ: 'at+jwt' } : {}),
        currentDate: new Date(now()),
      }));
    } catch (error) {
      if (error instanceof KeyServerUnavailable) throw new AuthUnavailableError();
      throw rejections.reject(reasonOf(error), { issuer: issuer.issuer });
    }
    // jose checks that `sub` is present, not that it is usable as an identity.
    if (typeof payload.sub !== 'string' || payload.sub === '') throw rejections.reject('missing_claim', { issuer: issuer.issuer });
    const principal = principalFromClaims(payload, settings.claims);
    if (principal.withheld.length > 0) {
      rejections.withheld(principal.kind, {
        permissions: principal.withheld,
        kind: principal.kind,
        clientId: principal.clientId,
        issuer: issuer.issuer,
        why: `client not listed in ${principal.kind === 'machine' ? 'AUTH_MACHINE_SUPPORT_CLIENT_IDS' : 'AUTH_SUPPORT_CLIENT_IDS'}`,
      });
    }
    remember(token, { principal, until: 0, expires: principal.expiresAt * 1000, issuer, header, key });
    return principal;
  }

  const keySets = [...trusted.values()];
  return {
    verify,
    cached,
    refuse: (reason, message) => rejections.reject(reason, {}, message),
    ready: () => keySets.every((issuer) => issuer.keySet.ready),
    notReady: () => keySets.filter((issuer) => !issuer.keySet.ready).map((issuer) => issuer.issuer),
    prefetch: async () => (await Promise.all(keySets.map((issuer) => issuer.keySet.prefetch()))).every(Boolean),
    cacheStats: () => ({ hits, misses, revalidated }),
  };
}

/** An issuer's key set (JWKS URL configured, or discovered once and remembered), announced in the log. */
function trust(coordinates: IssuerCoordinates, settings: VerifierSettings, clock: Clock, deps: VerifierDependencies): TrustedIssuer {
  const { log } = deps;
  const maxBytes = deps.jwksMaxBytes ?? DEFAULT_JWKS_MAX_BYTES;
  const accepted = issuerForms(coordinates.issuer);
  let located: string | null = coordinates.jwksUrl === null ? null : new URL(coordinates.jwksUrl).href;
  const locate = async () => {
    if (located !== null) return located;
    located = await discoverJwksUrl(coordinates.issuer, { clock, timeoutMs: settings.jwksTimeoutMs, maxBytes });
    log?.info('auth.jwks_discovered', { issuer: coordinates.issuer, jwksUrl: located });
    return located;
  };
  const keySet = new RemoteKeySet({
    issuer: coordinates.issuer,
    locate,
    cooldownMs: settings.jwksCooldownSeconds * 1000,
    maxAgeMs: settings.jwksCacheMaxAgeSeconds * 1000,
    timeoutMs: settings.jwksTimeoutMs,
    maxBytes,
    clock,
    ...(log ? { log } : {}),
  });
  // Start-up says exactly what is trusted, so a slash or audience mismatch is visible at once.
  log?.info('auth.issuer_trusted', {
    issuer: coordinates.issuer,
    acceptedIssuers: accepted,
    audiences: coordinates.audiences,
    jwks: coordinates.jwksUrl ?? `discovered from ${discoveryUrl(coordinates.issuer)}`,
  });
  return {
    issuer: coordinates.issuer,
    accepted,
    audiences: [...coordinates.audiences],
    keySet,
    keys: (header, token) => keySet.getKey(header, token),
  };
}

/**
 * Why jose refused a token. Everything we did not foresee is still a 401 (`malformed`),
 * never a 500: only an unreachable key server is 503, and that is handled before.
 */
function reasonOf(error: unknown): RejectionReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    switch (error.claim) {
      case 'aud':
        return 'audience';
      case 'iss':
        return 'unknown_issuer';
      case 'nbf':
      case 'iat':
        return 'not_yet_valid';
      case 'typ':
        return 'wrong_type';
      default:
        return 'missing_claim';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  return 'malformed';
}
