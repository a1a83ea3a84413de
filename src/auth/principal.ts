import type { JWTPayload } from 'jose';

/**
 * Who is calling, as stated by a verified access token. Business identity (user, customer)
 * is resolved later through the customer API; only what the issuer signed lives here.
 */
export interface Principal {
  readonly subject: string;
  /** The SPA the token was issued to (`azp`, or `client_id` per RFC 9068). */
  readonly clientId: string | null;
  /** Union of the `scope` string and Auth0's `permissions` array. */
  readonly permissions: ReadonlySet<string>;
  /** Business user id from a namespaced claim, when the issuer adds one. */
  readonly claimedUserId: string | null;
  /** Business customer id from a namespaced claim, when the issuer adds one. */
  readonly claimedCustomerId: string | null;
  /** Token expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

/** Names of the optional namespaced claims that carry business identity. */
export interface ClaimNames {
  readonly userIdClaim: string;
  readonly customerIdClaim: string;
}

/** Normalises verified claims into a principal; claims of the wrong type are ignored. */
export function principalFromClaims(payload: JWTPayload, names: ClaimNames): Principal {
  const permissions = new Set<string>();
  if (typeof payload.scope === 'string') {
    for (const scope of payload.scope.split(' ')) if (scope) permissions.add(scope);
  }
  if (Array.isArray(payload.permissions)) {
    for (const permission of payload.permissions) if (typeof permission === 'string' && permission) permissions.add(permission);
  }
  return {
    subject: payload.sub as string,
    clientId: stringClaim(payload.azp) ?? stringClaim(payload.client_id),
    permissions,
    claimedUserId: stringClaim(payload[names.userIdClaim]),
    claimedCustomerId: stringClaim(payload[names.customerIdClaim]),
    expiresAt: payload.exp as number,
  };
}

function stringClaim(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
