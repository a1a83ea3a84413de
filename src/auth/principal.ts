import type { JWTPayload } from 'jose';
import type { ClaimPolicy } from '../config.js';

/**
 * Who is calling, as stated by a verified access token and read through the deployment's
 * claim policy. Business identity (user, customer) is resolved later through the customer
 * API; only what the issuer signed, and this deployment trusts, lives here.
 */
export interface Principal {
  readonly subject: string;
  /** `iss` of the token, as signed (one of the configured issuers). */
  readonly issuer: string;
  /** The application the token was issued to (`azp`, or `client_id` per RFC 9068). */
  readonly clientId: string | null;
  /**
   * `user`: a person signed in. `machine`: a client-credentials token (Auth0 `gty:
   * client-credentials`, subject `<client>@clients`), acting for no user.
   */
  readonly kind: 'user' | 'machine';
  /** API permissions this deployment honours: from the configured sources, without OIDC scopes. */
  readonly permissions: ReadonlySet<string>;
  /** Permissions the token carried that were not honoured for this client (logged, never granted). */
  readonly withheld: readonly string[];
  /** Business user id from a namespaced claim, when the issuer adds one (users only). */
  readonly claimedUserId: string | null;
  /** Business customer id from a namespaced claim, when the issuer adds one (users only). */
  readonly claimedCustomerId: string | null;
  /** The identity provider's organization the user signed in through (`org_id`), when mapped. */
  readonly organizationId: string | null;
  /** Token expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

/** Permission that makes a caller support staff: read every customer, change nothing. */
export const SUPPORT_PERMISSION = 'support:read';

/**
 * Permissions that reach across customers. An application can ask for any scope of the API
 * (and with Auth0 RBAC off it gets it), so these count only for the clients configured for
 * them: the support console for people, an explicit list for machines.
 */
export const CROSS_TENANT_PERMISSIONS: ReadonlySet<string> = new Set([SUPPORT_PERMISSION]);

/** Scopes of OpenID Connect itself: they ask for ID-token claims, never for API access. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

/** Normalises verified claims into a principal; claims of the wrong type are ignored. */
export function principalFromClaims(payload: JWTPayload, policy: ClaimPolicy): Principal {
  const subject = payload.sub as string;
  const clientId = stringClaim(payload.azp) ?? stringClaim(payload.client_id);
  // Either mark is enough: reading a person's token as a machine's only ever takes rights away.
  const kind = payload.gty === 'client-credentials' || subject.endsWith('@clients') ? 'machine' : 'user';
  const trustedForCrossTenant =
    clientId !== null && (kind === 'machine' ? policy.machineSupportClientIds : policy.supportClientIds).includes(clientId);

  const permissions = new Set<string>();
  const withheld: string[] = [];
  for (const source of policy.permissionSources) {
    for (const permission of permissionsIn(payload[source])) {
      if (OIDC_SCOPES.has(permission)) continue;
      if (CROSS_TENANT_PERMISSIONS.has(permission) && !trustedForCrossTenant) {
        if (!withheld.includes(permission)) withheld.push(permission);
        continue;
      }
      permissions.add(permission);
    }
  }
  // A machine acts for no user: identity hints in its token describe nobody.
  const user = kind === 'user';
  return {
    subject,
    issuer: payload.iss as string,
    clientId,
    kind,
    permissions,
    withheld,
    claimedUserId: user ? stringClaim(payload[policy.userIdClaim]) : null,
    claimedCustomerId: user ? stringClaim(payload[policy.customerIdClaim]) : null,
    organizationId: user && policy.organizations ? stringClaim(payload[policy.organizationClaim]) : null,
    expiresAt: payload.exp as number,
  };
}

/** Permission names in a claim: a space-separated string (`scope`, Azure's `scp`) or an array (`permissions`, Okta's `scp`). */
function permissionsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item !== '');
  return [];
}

function stringClaim(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
