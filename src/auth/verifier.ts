import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthUnavailableError, UnauthenticatedError } from '../errors.js';
import { principalFromClaims, type ClaimNames, type Principal } from './principal.js';

/** Everything needed to verify access tokens of one issuer. */
export interface VerifierOptions extends ClaimNames {
  readonly issuer: string;
  readonly audience: string;
  /** Where the issuer's public keys are served; fetched lazily and cached by jose. */
  readonly jwksUrl: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  /** Enforce `typ: at+jwt` (RFC 9068) so ID tokens are never accepted as access tokens. */
  readonly requireAtJwt: boolean;
  /** Verified tokens remembered (0 disables the cache). */
  readonly cacheSize: number;
  /** Upper bound on how long a verification is reused; never beyond the token's `exp`. */
  readonly cacheTtlSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  /** Injected for tests that freeze time. */
  readonly now?: () => number;
}

/** Verifies bearer tokens; rejects with `UnauthenticatedError` or `AuthUnavailableError`. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /** Synchronous cache lookup: the principal of a token verified recently, if still valid. */
  cached(token: string): Principal | undefined;
}

// Failures that say something about the token itself (as opposed to the key server).
const TOKEN_FAULTS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** Builds a verifier whose remote key set is created once and shared by every request. */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.jwksCooldownSeconds * 1000,
    timeoutDuration: options.jwksTimeoutMs,
  });
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
    let payload;
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
    const principal = principalFromClaims(payload, options);
    remember(token, principal);
    return principal;
  }

  return { verify, cached };
}

/** Maps a jose failure to the client-facing error: a bad token is 401, a key-server fault 503. */
function classify(error: unknown): Error {
  if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) return new UnauthenticatedError();
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof errors.JOSEError || error instanceof TypeError) {
    return new AuthUnavailableError();
  }
  return new UnauthenticatedError();
}
