/** What differs between deployments of the same build. */
export interface PortalConfig {
  /** The BFF's GraphQL endpoint, on another origin (it must list this one in CORS_ORIGINS). */
  readonly bffUrl: string;
}

/**
 * Reads /config.json next to index.html: the address of the BFF is deployment configuration,
 * not something to rebuild the bundle for.
 */
export async function loadPortalConfig(): Promise<PortalConfig> {
  const response = await fetch(new URL('config.json', document.baseURI));
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null || !('bffUrl' in body) || typeof body.bffUrl !== 'string') {
    throw new Error('config.json must be { "bffUrl": "https://bff.example.com/graphql" }');
  }
  return { bffUrl: body.bffUrl };
}
