/**
 * What the portal needs from sign-in: an access token for the BFF. Nothing
 * else of the token matters to the UI: who the user is and what they may do come from the
 * BFF's `viewer`, never from decoding the token in the browser.
 *
 * In production this is your OIDC provider's SPA SDK. With Auth0 (`@auth0/auth0-spa-js`):
 *
 * ```ts
 * const auth0 = await createAuth0Client({
 *   domain: 'your-tenant.eu.auth0.com',
 *   clientId: 'PORTAL_CLIENT_ID',
 *   authorizationParams: { audience: 'https://api.your-company.com', redirect_uri: location.origin },
 * });
 * if (location.search.includes('code=')) await auth0.handleRedirectCallback();
 * if (!(await auth0.isAuthenticated())) await auth0.loginWithRedirect();
 * // Cached by the SDK and renewed before it expires.
 * const auth: Auth = { getAccessToken: () => auth0.getTokenSilently() };
 * ```
 *
 * The demo world has no Auth0: `dev-auth.ts` implements the same interface with persona tokens.
 */
export interface Auth {
  /** An access token for the BFF's audience; called before every request, so implementations cache. */
  getAccessToken(): Promise<string>;
}
