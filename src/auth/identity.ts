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

/** What a request reads of its caller (the lookup itself, or a view of one made elsewhere). */
export type RequestIdentity = Pick<
  Identity,
  'principal' | 'isSupportStaff' | 'known' | 'rejection' | 'resolve' | 'settled' | 'entitlements'
>;

/** Where a delegated identity gets its answers (see `DelegatedIdentity`). */
export interface IdentitySource {
  /** The caller's identity and why it is nobody, if it is. */
  identity(): Promise<{ readonly known: BusinessIdentity; readonly rejection: IdentityRejection | null }>;
  /** The features of the customer's active licenses. */
  entitlements(customerId: string): Promise<readonly string[]>;
}

/**
 * The caller as another `Identity` knows them: a request executed in the execution worker
 * (src/execution/) asks the main thread's `Identity` of the same request, so both see one
 * lookup, one cache, one decision log line and the same waves of upstream calls as a request
 * executed in place. Memoised like `Identity`.
 */
export class DelegatedIdentity implements RequestIdentity {
  readonly isSupportStaff: boolean;
  known: BusinessIdentity | undefined;
  rejection: IdentityRejection | null | undefined;
  private pending: Promise<BusinessIdentity> | undefined;
  private readonly entitlementCache = new Map<string, ReadonlySet<string> | Promise<ReadonlySet<string>>>();

  constructor(
    readonly principal: Principal,
    private readonly source: IdentitySource,
    /** What the other side already knew when it handed the request over. */
    known?: { readonly known: BusinessIdentity; readonly rejection: IdentityRejection | null },
  ) {
    this.isSupportStaff = principal.permissions.has(SUPPORT_PERMISSION);
    if (known !== undefined) {
      this.known = known.known;
      this.rejection = known.rejection;
    } else if (principal.kind === 'machine') {
      this.known = NOBODY;
      this.rejection = null;
    }
  }

  resolve(): BusinessIdentity | Promise<BusinessIdentity> {
    if (this.known !== undefined) return this.known;
    this.pending ??= this.source.identity().then(({ known, rejection }) => {
      this.rejection = rejection;
      this.known = known;
      return known;
    });
    return this.pending;
  }

  settled(): Promise<void> {
    return this.pending === undefined
      ? Promise.resolve()
      : this.pending.then(
          () => {},
          () => {},
        );
  }

  entitlements(customerId: string): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    const cached = this.entitlementCache.get(customerId);
    if (cached !== undefined) return cached;
    const pending = this.source.entitlements(customerId).then((features) => {
      const set = new Set(features);
      this.entitlementCache.set(customerId, set);
      return set;
    });
    this.entitlementCache.set(customerId, pending);
    return pending;
  }
}

/**
 * The caller in business terms, resolved lazily through the request's loaders and memoised:
 * the first rule that needs it pays one batched lookup, every later check reads it
 * synchronously (`known`), so field checks stay synchronous. How claims and backend records
 * decide who that is: `linking.ts`.
 */
export class Identity implements RequestIdentity {
  readonly isSupportStaff: boolean;
  /** Set once the lookup has finished; rules use it to stay synchronous. */
  known: BusinessIdentity | undefined;
  /** Why the caller is nobody, once known (null: linked, or a machine token). For the decision log. */
  rejection: IdentityRejection | null | undefined;
  private pending: Promise<BusinessIdentity> | undefined;
  private readonly entitlementCache = new Map<string, ReadonlySet<string> | Promise<ReadonlySet<string>>>();

  constructor(
    readonly principal: Principal,
    private readonly loaders: Loaders,
    private readonly now: () => number,
    private readonly log?: Logger,
    /** Records reused across requests (see cache/cross-request.ts); absent or disabled: always the backend. */
    private readonly cache?: CrossRequestCache,
  ) {
    // support:read is already withheld from clients not trusted with it (principal.ts).
    this.isSupportStaff = principal.permissions.has(SUPPORT_PERMISSION);
    if (principal.kind === 'machine') {
      // A machine token acts for no user: nothing to look up.
      this.known = NOBODY;
      this.rejection = null;
    }
  }

  /** The business user and customer, from the claims and the customer API (see `linking.ts`). */
  resolve(): BusinessIdentity | Promise<BusinessIdentity> {
    if (this.known !== undefined) return this.known;
    this.pending ??= this.lookup().then((identity) => (this.known = identity));
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
    const pending = this.cached(CACHE_KEYS.licenses(customerId), () => this.loaders.licensesByCustomer.load(customerId)).then(
      (licenses) => {
        const features = activeFeatures(licenses, this.now());
        this.entitlementCache.set(customerId, features);
        return features;
      },
    );
    this.entitlementCache.set(customerId, pending);
    return pending;
  }

  private async lookup(): Promise<BusinessIdentity> {
    const principal = this.principal;
    const { claimedUserId, organizationId } = principal;
    // Independent lookups go out in one wave: each is one batched call, none waits for another.
    const [claimedUser, subjectUsers, organizationCustomer] = await Promise.all([
      claimedUserId === null ? null : this.cached(CACHE_KEYS.user(claimedUserId), () => this.loaders.user.load(claimedUserId)),
      this.cached(CACHE_KEYS.usersBySubject(principal.subject), () => this.loaders.usersBySubject.load(principal.subject)),
      organizationId === null
        ? null
        : this.cached(CACHE_KEYS.customerByOrganization(organizationId), () => this.loaders.customerByOrganization.load(organizationId)),
    ]);
    const linked = linkIdentity(principal, { claimedUser, subjectUsers, organizationCustomer });
    this.rejection = linked.rejection;
    if (linked.rejection === null) return { user: linked.user, customerId: linked.customerId };
    // The decision log: why this caller sees nothing of any customer. Never the token.
    this.log?.info('identity.rejected', {
      reason: linked.rejection,
      subject: principal.subject,
      issuer: principal.issuer,
      clientId: principal.clientId,
      organizationId,
      claimedUserId,
      claimedCustomerId: principal.claimedCustomerId,
    });
    return NOBODY;
  }

  /**
   * A record from the cross-request cache, or from the backend (then cached). Records, not
   * decisions: linking and license validity are judged again on every request. A cache that
   * fails is skipped, never trusted to deny or allow.
   */
  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const cache = this.cache;
    if (cache === undefined) return load();
    const hit = await cache.get<T>(key).catch(() => undefined);
    if (hit !== undefined) return hit;
    const value = await load();
    void cache.set(key, value).catch(() => {});
    return value;
  }
}
