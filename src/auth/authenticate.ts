import type { IncomingMessage } from 'node:http';
import { readBearer } from './bearer.js';
import type { Principal } from './principal.js';
import type { TokenVerifier } from './verifier.js';

/** The bearer token of a request, verified: its principal, or `UnauthenticatedError` (401, reason logged). */
export async function authenticate(verifier: TokenVerifier, request: Pick<IncomingMessage, 'headers'>): Promise<Principal> {
  const bearer = readBearer(request.headers.authorization);
  if (bearer.kind === 'none') throw verifier.refuse('missing_token', 'An access token is required (Authorization: Bearer <token>).');
  if (bearer.kind === 'malformed') throw verifier.refuse('malformed', 'The Authorization header is not a well-formed bearer token.');
  return verifier.cached(bearer.token) ?? (await verifier.verify(bearer.token));
}
