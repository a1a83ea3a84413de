/** Longest token accepted; real access tokens are a few KB, anything larger is abuse. */
export const MAX_TOKEN_LENGTH = 8192;

// A compact JWS: three base64url segments. Anything else is rejected before any crypto.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Result of reading the Authorization header: absent, malformed, or a candidate token. */
export type BearerResult = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/** Extracts a bearer token from an `Authorization` header value (RFC 6750, scheme case-insensitive). */
export function readBearer(header: string | undefined): BearerResult {
  if (header === undefined || header === '') return { kind: 'none' };
  const match = /^bearer +(\S+) *$/i.exec(header);
  if (!match) return { kind: 'malformed' };
  const token = match[1]!;
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return { kind: 'malformed' };
  return { kind: 'token', token };
}
