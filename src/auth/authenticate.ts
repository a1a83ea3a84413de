import type { IncomingMessage } from 'node:http';
import { readBearer } from './bearer.js';
import type { Principal } from './principal.js';
import type { TokenVerifier } from './verifier.js';

/** The bearer token of a request, verified: its principal, or `UnauthenticatedError` (401, reason logged). */
export async function authenticate(verifier: TokenVerifier, request: Pick<IncomingMessage, 'headers'>): Promise<Principal> {
  const header = request.headers.authorization;
  const known = cachedCanonical(verifier, header);
  if (known !== undefined) return known;
  const bearer = readBearer(header);
  if (bearer.kind === 'none') throw verifier.refuse('missing_token', 'An access token is required (Authorization: Bearer <token>).');
  if (bearer.kind === 'malformed') throw verifier.refuse('malformed', 'The Authorization header is not a well-formed bearer token.');
  return verifier.cached(bearer.token) ?? (await verifier.verify(bearer.token));
}

/** The principal of a request whose token was verified recently (the verifier's cache), else undefined; never verifies. */
export function cachedPrincipal(verifier: TokenVerifier, header: string | undefined): Principal | undefined {
  const known = cachedCanonical(verifier, header);
  if (known !== undefined) return known;
  const bearer = readBearer(header);
  return bearer.kind === 'token' ? verifier.cached(bearer.token) : undefined;
}

// Clients send `Bearer <token>`, one space: the token after it is looked up as it is, with no
// parsing. Only a token that passed `readBearer` and verification is in the cache, and the exact
// same string reads back the same from `readBearer`, so a hit is what the slow path would find;
// anything else (another casing or spacing, a token not cached) takes the slow path.
function cachedCanonical(verifier: TokenVerifier, header: string | undefined): Principal | undefined {
  return header?.startsWith('Bearer ') ? verifier.cached(header.slice(7)) : undefined;
}
