import type { Loaders } from '../upstream/loaders.js';
import { activeFeatures } from '../licensing.js';
import type { User } from '../upstream/types.js';
import type { Principal } from './principal.js';

/** Permission that makes a caller support staff: read every customer, change nothing. */
export const SUPPORT_PERMISSION = 'support:read';

/** The caller's business identity, once looked up. */
export interface BusinessIdentity {
  readonly user: User | null;
  readonly customerId: string | null;
}

/**
 * The caller in business terms, resolved lazily through the request's loaders and memoised:
 * the first rule that needs it pays one batched lookup, every later check reads it
 * synchronously (`known`), so field checks stay synchronous.
 */
export class Identity {
  readonly isSupportStaff: boolean;
  /** Set once the lookup has finished; rules use it to stay synchronous. */
  known: BusinessIdentity | undefined;
  private pending: Promise<BusinessIdentity> | undefined;
  private readonly entitlementCache = new Map<string, ReadonlySet<string> | Promise<ReadonlySet<string>>>();

  constructor(
    readonly principal: Principal,
    private readonly loaders: Loaders,
    private readonly now: () => number,
  ) {
    this.isSupportStaff = principal.permissions.has(SUPPORT_PERMISSION);
  }

  /** The business user and customer, from namespaced claims or a lookup by subject. */
  resolve(): BusinessIdentity | Promise<BusinessIdentity> {
    if (this.known !== undefined) return this.known;
    this.pending ??= this.lookup().then((identity) => (this.known = identity));
    return this.pending;
  }

  /** Features of the customer's active licenses; synchronous after the first lookup. */
  entitlements(customerId: string): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    const cached = this.entitlementCache.get(customerId);
    if (cached !== undefined) return cached;
    const pending = this.loaders.licensesByCustomer.load(customerId).then((licenses) => {
      const features = activeFeatures(licenses, this.now());
      this.entitlementCache.set(customerId, features);
      return features;
    });
    this.entitlementCache.set(customerId, pending);
    return pending;
  }

  private async lookup(): Promise<BusinessIdentity> {
    const { claimedUserId, claimedCustomerId, subject } = this.principal;
    const user =
      claimedUserId !== null ? await this.loaders.user.load(claimedUserId) : ((await this.loaders.usersBySubject.load(subject))[0] ?? null);
    // A claimed user must belong to this subject: a mismatch means a misconfigured issuer,
    // and the safe reading is "nobody we know".
    if (user !== null && user.subject !== subject) return { user: null, customerId: null };
    const customerId = user?.customerId ?? null;
    if (claimedCustomerId !== null && customerId !== null && claimedCustomerId !== customerId) return { user, customerId: null };
    return { user, customerId: customerId ?? (user === null ? claimedCustomerId : null) };
  }
}
