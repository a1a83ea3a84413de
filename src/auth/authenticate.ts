import type { IncomingMessage } from 'node:http';
import { UnauthenticatedError } from '../errors.js';
import { readBearer } from './bearer.js';
import type { Principal } from './principal.js';
import type { TokenVerifier } from './verifier.js';

/** The bearer token of a request, verified: its principal, or `UnauthenticatedError` (401). */
export async function authenticate(verifier: TokenVerifier, request: Pick<IncomingMessage, 'headers'>): Promise<Principal> {
  const bearer = readBearer(request.headers.authorization);
  if (bearer.kind === 'none') throw new UnauthenticatedError('An access token is required (Authorization: Bearer <token>).');
  if (bearer.kind === 'malformed') throw new UnauthenticatedError('The Authorization header is not a well-formed bearer token.');
  return verifier.cached(bearer.token) ?? (await verifier.verify(bearer.token));
}
