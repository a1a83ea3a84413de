import type { Clock } from '../clock.js';
import { UnauthenticatedError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Why a request was refused with 401. The client never learns it (one message for every
 * refusal, so nobody can probe which check failed); the server log does, as `auth.rejected`.
 */
export type RejectionReason =
  /** No Authorization header. */
  | 'missing_token'
  /** Not a bearer token, not a compact JWS, not decodable. */
  | 'malformed'
  /** `iss` is none of the configured issuers (or missing). */
  | 'unknown_issuer'
  /** The signature does not verify with the issuer's key. */
  | 'bad_signature'
  /** No key of the issuer's key set has the token's `kid`. */
  | 'unknown_key'
  /** The header's `alg` is not in AUTH_ALGORITHMS. */
  | 'algorithm'
  /** `exp` is past (beyond the clock tolerance). */
  | 'expired'
  /** `nbf` (or `iat`) is in the future. */
  | 'not_yet_valid'
  /** `aud` names none of the issuer's configured audiences. */
  | 'audience'
  /** Header `typ` is not `at+jwt` while AUTH_REQUIRE_AT_JWT is on (an ID token, most likely). */
  | 'wrong_type'
  /** `exp` or a usable `sub` is missing. */
  | 'missing_claim';

/** A 401 that knows its reason; the client sees an ordinary `UnauthenticatedError`. */
export class TokenRejectedError extends UnauthenticatedError {
  constructor(
    readonly reason: RejectionReason,
    message?: string,
  ) {
    super(message);
  }
}

// Expired and absent tokens are everyday traffic (SPAs refresh late, probes carry none); the
// rest means a misconfigured client or issuer, or someone trying.
const INFO_REASONS: ReadonlySet<RejectionReason> = new Set(['expired', 'missing_token']);

/**
 * Writes at most one line per key per window on the injected clock. Repeats inside the window
 * are counted, and the count is reported by the next line written for that key (`suppressed`),
 * so a flood costs a line per window, and nothing is lost but the detail of each repeat.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { openedAt: number; suppressed: number }>();

  constructor(
    private readonly log: Logger | undefined,
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /** Writes `msg` with `fields` unless a line with `key` was written within the window. Keys must come from a closed set. */
  write(level: 'info' | 'warn', msg: string, key: string, fields: Record<string, unknown>): void {
    const now = this.clock.now();
    const window = this.windows.get(key);
    if (window !== undefined && now - window.openedAt < this.windowMs) {
      window.suppressed++;
      return;
    }
    this.windows.set(key, { openedAt: now, suppressed: 0 });
    this.log?.[level](msg, { ...fields, suppressed: window?.suppressed ?? 0, windowSeconds: this.windowMs / 1000 });
  }
}

/** Records 401s: `reject` logs the reason (rate-limited) and returns the error to throw. */
export class Rejections {
  private readonly lines: RateLimitedLog;

  constructor(log: Logger | undefined, clock: Clock, windowSeconds: number) {
    this.lines = new RateLimitedLog(log, clock, windowSeconds * 1000);
  }

  /** Logs `auth.rejected` for `reason` (never the token) and returns the 401 to throw. */
  reject(reason: RejectionReason, fields: Record<string, unknown> = {}, message?: string): TokenRejectedError {
    this.lines.write(INFO_REASONS.has(reason) ? 'info' : 'warn', 'auth.rejected', reason, { reason, ...fields });
    return new TokenRejectedError(reason, message);
  }

  /** Logs, rate-limited, that a token's permissions were withheld from its client (`key`: a closed set). */
  withheld(key: string, fields: Record<string, unknown>): void {
    this.lines.write('warn', 'auth.permissions_withheld', `withheld:${key}`, fields);
  }
}
