import type { Auth } from './auth';

/**
 * The demo world's personas this portal offers (PRODUCT.md). dave and frank show what the
 * portal does for callers without a customer.
 */
export const DEMO_PERSONAS = {
  alice: 'Alice, admin at Acme Corp',
  bob: 'Bob, member at Acme Corp (no billing access)',
  carol: 'Carol, admin at Globex (analytics license expired)',
  mallory: 'Mallory, admin at Initech',
  dave: 'Dave, support agent (no customer)',
  frank: 'Frank, unknown to the business backend',
} as const;

/** A persona name of the demo world. */
export type DemoPersona = keyof typeof DEMO_PERSONAS;

/** The persona this page signs in as: `?persona=` in its address, alice by default. */
export function currentPersona(search: string = location.search): DemoPersona {
  const asked = new URLSearchParams(search).get('persona');
  return asked !== null && Object.hasOwn(DEMO_PERSONAS, asked) ? (asked as DemoPersona) : 'alice';
}

/** Signs in as another persona: a new page, so nothing of the previous user's cache survives. */
export function switchPersona(persona: DemoPersona): void {
  const url = new URL(location.href);
  url.searchParams.set('persona', persona);
  location.assign(url);
}

// Renew a minute early, so a token never expires between being read and being checked.
const RENEW_BEFORE_MS = 60_000;

/**
 * Demo sign-in: tokens from the portal server's `/dev/token` (signed with the demo world's
 * development key, exactly what `npm run token` prints), cached until shortly before they
 * expire. Stands in for Auth0; see auth.ts for the real thing.
 */
export function createDevAuth(persona: DemoPersona): Auth {
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const response = await fetch(new URL(`dev/token?persona=${persona}`, document.baseURI));
    if (!response.ok) throw new Error(`dev/token: HTTP ${response.status}`);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    cached = { token: body.access_token, renewAt: Date.now() + body.expires_in * 1000 - RENEW_BEFORE_MS };
    return body.access_token;
  }

  return {
    getAccessToken() {
      if (cached !== undefined && Date.now() < cached.renewAt) return Promise.resolve(cached.token);
      // One request for the queries that start together on page load, not one each.
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}
