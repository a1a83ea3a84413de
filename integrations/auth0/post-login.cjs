/**
 * Auth0 post-login Action for shielded-bff: puts the business identity kept in the user's
 * app_metadata into the access token as namespaced claims, as the seed thread recommends
 * ("store an internal business identifier in app_metadata, put it in the token on login").
 *
 * The BFF trusts the user claim when that user exists in the customer API, so a person can
 * sign in through any connection (database, Google, enterprise SSO) without the backend
 * knowing every `sub`. It never trusts a claim to create a membership: an unknown user is
 * nobody, and a customer claim that disagrees with the backend makes the caller nobody.
 *
 * Install: Actions > Library > Create Action > "Login / Post Login", paste this file, add
 * the secrets below, Deploy, then drag it into the Login flow. No npm dependencies.
 *
 * Secrets:
 *   BFF_AUDIENCE     the BFF's API identifier (AUTH_AUDIENCE). Claims are added only to access
 *                    tokens for this API; without it the Action adds nothing.
 *   CLAIM_NAMESPACE  prefix of the claim names (default https://bff.example.com/): the BFF reads
 *                    <namespace>user_id and <namespace>customer_id (AUTH_USER_ID_CLAIM,
 *                    AUTH_CUSTOMER_ID_CLAIM).
 *
 * app_metadata, written by your provisioning (Management API), never by the user:
 *   one customer:    { "bff": { "user_id": "usr_...", "customer_id": "cus_..." } }
 *   several:         { "bff": { "memberships": [
 *                      { "organization_id": "org_...", "user_id": "usr_...", "customer_id": "cus_..." }, ... ] } }
 * With several memberships the login must go through an Auth0 Organization: the membership of
 * that organization is used; without one (or with an organization the user has no membership
 * in) no claim is added, and the BFF reads the caller as nobody rather than guess a customer.
 *
 * user_metadata is never read: users can edit it themselves.
 */
exports.onExecutePostLogin = async (event, api) => {
  const secrets = event.secrets || {};
  if (!secrets.BFF_AUDIENCE) {
    console.log('shielded-bff: the BFF_AUDIENCE secret is not set; no business claims added');
    return;
  }
  // Only tokens for the BFF carry its claims (a login without an audience has no resource server).
  if (!event.resource_server || event.resource_server.identifier !== secrets.BFF_AUDIENCE) return;

  const membership = businessMembership(event.user.app_metadata, event.organization ? event.organization.id : null);
  if (membership === null) return;
  const namespace = withSlash(secrets.CLAIM_NAMESPACE || 'https://bff.example.com/');
  api.accessToken.setCustomClaim(`${namespace}user_id`, membership.user_id);
  if (membership.customer_id) api.accessToken.setCustomClaim(`${namespace}customer_id`, membership.customer_id);
};

/** The membership this login acts in, or null when app_metadata does not say unambiguously. */
function businessMembership(appMetadata, organizationId) {
  const bff = appMetadata && typeof appMetadata.bff === 'object' && appMetadata.bff !== null ? appMetadata.bff : null;
  if (bff === null) return null;
  if (Array.isArray(bff.memberships)) {
    const memberships = bff.memberships.filter(isMembership);
    if (organizationId !== null) return memberships.find((m) => m.organization_id === organizationId) || null;
    return memberships.length === 1 ? memberships[0] : null;
  }
  // A single membership: added whatever organization the login names; the BFF checks that the
  // organization's customer is this user's and refuses the token otherwise.
  return isMembership(bff) ? bff : null;
}

function isMembership(value) {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.user_id === 'string' &&
    value.user_id !== '' &&
    (value.customer_id === undefined || (typeof value.customer_id === 'string' && value.customer_id !== ''))
  );
}

function withSlash(namespace) {
  return namespace.endsWith('/') ? namespace : `${namespace}/`;
}
