import type { Customer, User } from '../upstream/types.js';

/**
 * How a verified token is linked to a business user, as a pure decision over what the
 * customer API answered. The rules, in order:
 *
 * 1. A user-id claim (set by the tenant's post-login Action from `app_metadata`) is trusted
 *    when that user exists: the backend need not know the token's subject, so a person may
 *    sign in through several identity providers. It is refused when the backend links the
 *    subject to other users: then the claim contradicts the backend.
 * 2. Without the claim, the users are those the backend links to the subject (one per
 *    customer the person belongs to). A subject it does not know is nobody, whatever any
 *    other claim says: claims never create a customer membership.
 * 3. An organization (`org_id`) must map to a customer, and the user must belong to it; it
 *    picks among a person's customers. Without one, a person in several customers is nobody.
 * 4. A customer-id claim only confirms: naming another customer than the backend's makes the
 *    caller nobody.
 *
 * Nobody means no user and no customer: such a caller sees nothing that belongs to a customer.
 */

/** Why a token was linked to nobody; logged as `identity.rejected`. */
export type IdentityRejection =
  /** The user-id claim names no user of the backend (e.g. an offboarded user's stale metadata). */
  | 'claimed_user_unknown'
  /** The backend links the token's subject to other users than the one the claim names. */
  | 'claimed_user_contradicts_subject'
  /** No user-id claim, and the backend knows no user with this subject. */
  | 'subject_unknown'
  /** The organization claim maps to no customer. */
  | 'organization_unknown'
  /** The user does not belong to the organization's customer. */
  | 'organization_mismatch'
  /** The person belongs to several customers and the token names no organization to pick one. */
  | 'organization_required'
  /** The customer-id claim names another customer than the backend's. */
  | 'customer_claim_mismatch';

/** What the token says about business identity (from the principal). */
export interface IdentityClaims {
  readonly claimedUserId: string | null;
  readonly claimedCustomerId: string | null;
  readonly organizationId: string | null;
}

/** What the customer API answered for those claims. */
export interface IdentityRecords {
  /** The user the user-id claim names (null: none such; ignored without the claim). */
  readonly claimedUser: User | null;
  /** Every user the backend links to the token's subject. */
  readonly subjectUsers: readonly User[];
  /** The customer of the organization claim (null: none such; ignored without the claim). */
  readonly organizationCustomer: Customer | null;
}

/** The outcome: a user and their customer, or nobody and why. */
export type Linked =
  | { readonly user: User; readonly customerId: string | null; readonly rejection: null }
  | { readonly user: null; readonly customerId: null; readonly rejection: IdentityRejection };

/** Links claims to a business user (see the rules above). */
export function linkIdentity(claims: IdentityClaims, records: IdentityRecords): Linked {
  let candidates: readonly User[];
  if (claims.claimedUserId !== null) {
    const claimed = records.claimedUser;
    if (claimed === null) return nobody('claimed_user_unknown');
    if (records.subjectUsers.length > 0 && !records.subjectUsers.some((user) => user.id === claimed.id)) {
      return nobody('claimed_user_contradicts_subject');
    }
    candidates = [claimed];
  } else {
    if (records.subjectUsers.length === 0) return nobody('subject_unknown');
    candidates = records.subjectUsers;
  }

  let chosen: User | undefined;
  if (claims.organizationId !== null) {
    const customer = records.organizationCustomer;
    if (customer === null) return nobody('organization_unknown');
    const members = candidates.filter((user) => user.customerId === customer.id);
    if (members.length === 0) return nobody('organization_mismatch');
    // Two records of one person in one customer is bad data: refuse rather than guess.
    if (members.length > 1) return nobody('organization_required');
    chosen = members[0];
  } else {
    if (candidates.length > 1) return nobody('organization_required');
    chosen = candidates[0];
  }
  if (chosen === undefined) return nobody('subject_unknown');

  if (claims.claimedCustomerId !== null && claims.claimedCustomerId !== chosen.customerId) return nobody('customer_claim_mismatch');
  return { user: chosen, customerId: chosen.customerId, rejection: null };
}

function nobody(rejection: IdentityRejection): Linked {
  return { user: null, customerId: null, rejection };
}
