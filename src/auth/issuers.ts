import { decodeJwt } from 'jose';

/**
 * Issuer identifiers. A token names its issuer in `iss`; the BFF picks the configured issuer
 * by that (unverified) value, then verifies the token against exactly that issuer's keys and
 * audiences, so a token can never be checked with another issuer's keys.
 *
 * The trailing slash is not significant: Auth0 signs `https://TENANT/` while operators often
 * write `https://TENANT`, and the two never name different issuers. Both forms are accepted
 * for every configured issuer, and start-up says so in the log.
 */

/** The form issuers are compared in: without trailing slashes. */
export function issuerKey(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

/** Every `iss` value accepted for a configured issuer: as configured first, then the other form. */
export function issuerForms(issuer: string): [string, string] {
  const bare = issuerKey(issuer);
  return issuer === bare ? [bare, `${bare}/`] : [issuer, bare];
}

/** Where OpenID Connect discovery serves an issuer's metadata (OIDC Discovery 1.0 §4). */
export function discoveryUrl(issuer: string): string {
  return `${issuerKey(issuer)}/.well-known/openid-configuration`;
}

/**
 * The `iss` a token claims, before any verification (only to pick the issuer): `undefined`
 * when the token does not decode, `null` when it names no issuer.
 */
export function claimedIssuer(token: string): string | null | undefined {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' && iss !== '' ? iss : null;
  } catch {
    return undefined;
  }
}
