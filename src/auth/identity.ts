import { CACHE_KEYS, type CrossRequestCache } from '../cache/cross-request.js';
import type { Loaders } from '../upstream/loaders.js';
import { activeFeatures } from '../licensing.js';
import type { Logger } from '../log.js';
import type { User } from '../upstream/types.js';
import { type IdentityRejection, linkIdentity } from './linking.js';
import { type Principal, SUPPORT_PERMISSION } from './principal.js';

/** The caller's business identity, once looked up. */
export interface BusinessIdentity {
  readonly user: User | null;
  readonly customerId: string | null;
}

const NOBODY: BusinessIdentity = { user: null, customerId: null };

/** Where an `Identity` gets its answers: the backend (`backendIdentity`), or another thread's `Identity` of the same request (src/execution/). */
export interface IdentitySource {
  /** The caller's identity and why it is nobody, if it is. */
  identity(): Promise<{ readonly known: BusinessIdentity; readonly rejection: IdentityRejection | null }>;
  /** The features of the customer's active licenses. */
  entitlements(customerId: string): Promise<Iterable<string>>;
}

/**
 * The caller in business terms, resolved lazily and memoised: the first rule that needs it
 * pays one batched lookup, every later check reads it synchronously (`known`), so field checks
 * stay synchronous. How claims and backend records decide who that is: `linking.ts`. A request
 * executed in the execution worker asks the main thread's `Identity` of the same request
 * (one lookup, one cache, one decision log line, the same waves of upstream calls).
 */
export class Identity {
  readonly isSupportStaff: boolean;
  /** Set once the lookup has finished; rules use it to stay synchronous. */
  known: BusinessIdentity | undefined;
  /** Why the caller is nobody, once known (null: linked, or a machine token). For the decision log. */
  rejection: IdentityRejection | null | undefined;
  private pending: Promise<BusinessIdentity> | undefined;
  private readonly entitlementCache = new Map<string, ReadonlySet<string> | Promise<ReadonlySet<string>>>();

  constructor(
    readonly principal: Principal,
    private readonly source: IdentitySource,
    /** What the other side already knew when it handed the request over. */
    known?: { readonly known: BusinessIdentity; readonly rejection: IdentityRejection | null },
  ) {
    // support:read is already withheld from clients not trusted with it (principal.ts).
    this.isSupportStaff = principal.permissions.has(SUPPORT_PERMISSION);
    if (known !== undefined) {
      this.known = known.known;
      this.rejection = known.rejection;
    } else if (principal.kind === 'machine') {
      // A machine token acts for no user: nothing to look up.
      this.known = NOBODY;
      this.rejection = null;
    }
  }

  /** The business user and customer, from the claims and the customer API (see `linking.ts`). */
  resolve(): BusinessIdentity | Promise<BusinessIdentity> {
    if (this.known !== undefined) return this.known;
    this.pending ??= this.source.identity().then(({ known, rejection }) => {
      this.rejection = rejection;
      this.known = known;
      return known;
    });
    return this.pending;
  }

  /** Settles once a lookup that has started is over, whatever its outcome (at once when none started). */
  settled(): Promise<void> {
    return this.pending === undefined
      ? Promise.resolve()
      : this.pending.then(
          () => {},
          () => {},
        );
  }

  /** Features of the customer's active licenses; synchronous after the first lookup. */
  entitlements(customerId: string): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    const cached = this.entitlementCache.get(customerId);
    if (cached !== undefined) return cached;
    const pending = this.source.entitlements(customerId).then((features) => {
      const set: ReadonlySet<string> = features instanceof Set ? features : new Set(features);
      this.entitlementCache.set(customerId, set);
      return set;
    });
    this.entitlementCache.set(customerId, pending);
    return pending;
  }
}

/**
 * The caller's records from the backend, through the request's loaders (and the cross-request
 * cache, when on); license validity judged at `now()`.
 */
export function backendIdentity(
  principal: Principal,
  loaders: Loaders,
  now: () => number,
  log?: Logger,
  /** Records reused across requests (see cache/cross-request.ts); absent or disabled: always the backend. */
  cache?: CrossRequestCache,
): IdentitySource {
  /**
   * A record from the cross-request cache, or from the backend (then cached). Records, not
   * decisions: linking and license validity are judged again on every request. A cache that
   * fails is skipped, never trusted to deny or allow.
   */
  const cached = async <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (cache === undefined) return load();
    const hit = await cache.get<T>(key).catch(() => undefined);
    if (hit !== undefined) return hit;
    const value = await load();
    void cache.set(key, value).catch(() => {});
    return value;
  };
  return {
    async identity() {
      const { claimedUserId, organizationId } = principal;
      // Independent lookups go out in one wave: each is one batched call, none waits for another.
      const [claimedUser, subjectUsers, organizationCustomer] = await Promise.all([
        claimedUserId === null ? null : cached(CACHE_KEYS.user(claimedUserId), () => loaders.user.load(claimedUserId)),
        cached(CACHE_KEYS.usersBySubject(principal.subject), () => loaders.usersBySubject.load(principal.subject)),
        organizationId === null
          ? null
          : cached(CACHE_KEYS.customerByOrganization(organizationId), () => loaders.customerByOrganization.load(organizationId)),
      ]);
      const linked = linkIdentity(principal, { claimedUser, subjectUsers, organizationCustomer });
      if (linked.rejection === null) return { known: { user: linked.user, customerId: linked.customerId }, rejection: null };
      // The decision log: why this caller sees nothing of any customer. Never the token.
      log?.info('identity.rejected', {
        reason: linked.rejection,
        subject: principal.subject,
        issuer: principal.issuer,
        clientId: principal.clientId,
        organizationId,
        claimedUserId,
        claimedCustomerId: principal.claimedCustomerId,
      });
      return { known: NOBODY, rejection: linked.rejection };
    },
    async entitlements(customerId) {
      const licenses = await cached(CACHE_KEYS.licenses(customerId), () => loaders.licensesByCustomer.load(customerId));
      return activeFeatures(licenses, now());
    },
  };
}
