import { type FetchJsonOptions, fetchJson } from './fetch-json.js';
import { discoveryUrl, issuerKey } from './issuers.js';

/**
 * The issuer's JWKS URL from its OpenID configuration (`jwks_uri`), for issuers configured
 * without one. The document must name the same issuer (OIDC Discovery 1.0 §4.3: otherwise it
 * is someone else's), and an https issuer's keys must come over https.
 */
export async function discoverJwksUrl(issuer: string, options: Omit<FetchJsonOptions, 'accept'>): Promise<string> {
  const url = discoveryUrl(issuer);
  let document: unknown;
  try {
    document = await fetchJson(url, { sameOriginRedirects: 2, ...options, accept: 'application/json' });
  } catch (error) {
    throw new Error(`OpenID configuration at ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new Error(`OpenID configuration at ${url}: not a JSON object`);
  const { issuer: named, jwks_uri: jwksUri } = document as Record<string, unknown>;
  if (typeof named !== 'string' || issuerKey(named) !== issuerKey(issuer)) {
    throw new Error(`OpenID configuration at ${url} names issuer ${JSON.stringify(named)}, not ${JSON.stringify(issuer)}`);
  }
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new Error(`OpenID configuration at ${url}: no usable jwks_uri`);
  const keys = new URL(jwksUri);
  const secure = new URL(issuer).protocol === 'https:';
  if (keys.protocol !== 'https:' && (secure || keys.protocol !== 'http:')) {
    throw new Error(`OpenID configuration at ${url}: jwks_uri ${JSON.stringify(jwksUri)} is not https`);
  }
  return keys.href;
}
