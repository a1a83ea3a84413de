import { UpstreamUnavailableError } from '../errors.js';
import type { Loaders } from '../upstream/loaders.js';
import type { Assignment, License, User } from '../upstream/types.js';
import { RuleCache } from './engine.js';

/**
 * What authorization reads from a request, stated here so `authz/` never imports the layer
 * that assembles requests (`context.ts` builds an object that satisfies this contract).
 */

/** The caller's business identity, once known. */
export interface CallerIdentity {
  readonly user: User | null;
  readonly customerId: string | null;
}

/** The caller in business terms: known synchronously once looked up, memoised per request. */
export interface Caller {
  /** Support staff: read access to every customer, no writes. */
  readonly isSupportStaff: boolean;
  /** Set once the lookup has finished; rules read it to stay synchronous. */
  readonly known: CallerIdentity | undefined;
  /** The identity now, or once the lookup finishes. */
  resolve(): CallerIdentity | Promise<CallerIdentity>;
  /** Features of the active licenses of `customerId`, synchronous once looked up. */
  entitlements(customerId: string): ReadonlySet<string> | Promise<ReadonlySet<string>>;
}

/** The loaders mutation input rules read (the same ones the resolvers then use). */
export type AuthzLoaders = Pick<Loaders, 'license' | 'user' | 'assignmentsByLicense'>;

/** Everything a rule of the policy may read. */
export interface AuthzContext {
  /** Permissions granted by the verified token. */
  readonly principal: { readonly permissions: ReadonlySet<string> };
  readonly identity: Caller;
  readonly loaders: AuthzLoaders;
  /** Per-request memo of rule results. */
  readonly authz: RuleCache;
}

// The record types rules compare, re-exported so rule files import them from one place.
export type { Assignment, License, User };

/**
 * The failure policy of authorization, in one place: a rule that throws or rejects denies.
 * An upstream outage denies with UPSTREAM_UNAVAILABLE (the client learns why it sees nothing);
 * anything else denies as a plain `false` (FORBIDDEN), and is reported to `onRuleError` (the
 * request's log, which summarises it once per request).
 */
export function createRuleCache(onRuleError: (rule: string, error: unknown) => void): RuleCache {
  return new RuleCache(onRuleError, (error) => (error instanceof UpstreamUnavailableError ? error : false));
}
