/**
 * Assertions shared by the hostile suite: a refusal is clear (one known code) and says
 * nothing about our internals (no stack, no library names, no upstream addresses).
 */
import { isKnownErrorCode } from '../../src/errors.js';
import type { GqlResult } from '../helpers/stack.js';

const FORBIDDEN_FRAGMENTS = [
  'stacktrace',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'undici',
  'node:internal',
  'TypeError',
  'ReferenceError',
  'SyntaxError:', // JSON.parse's; GraphQL's own is "Syntax Error:"
  'Unexpected token',
  'Unexpected end of JSON',
  'UpstreamFault',
  'UpstreamStatusError',
  'KeyServerUnavailable',
  'JOSE',
  'JWKS',
  'JWS',
  'ERR_',
  'jose',
  '127.0.0.1',
  'localhost:',
  '169.254.169.254',
  'injected fault',
  'INJECTED',
  'HTTP 5',
  'claim',
  'timestamp check',
  '10.0.0.7',
];

/** The response text carries no stack trace and no internal detail. */
export function expectNoLeak(result: { text: string }, extra: readonly string[] = []): void {
  for (const fragment of [...FORBIDDEN_FRAGMENTS, ...extra]) {
    expect({ fragment, leaked: result.text.includes(fragment) }).toEqual({ fragment, leaked: false });
  }
  // A stack frame looks like "at fn (file.ts:12:34)" or "at file.js:1:2".
  expect(result.text).not.toMatch(/\bat [^"]*:\d+:\d+/);
}

/** Every error carries a code from the closed set. */
export function expectKnownCodes(result: GqlResult<unknown>): void {
  for (const error of result.errors ?? []) expect(isKnownErrorCode(error.extensions?.code)).toBe(true);
}

/** A whole-request 401 with the generic message and nothing else. */
export function expectUnauthenticated(result: GqlResult<unknown>): void {
  expect(result.status).toBe(401);
  expect(result.headers.get('www-authenticate')).toBe('Bearer');
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expectNoLeak(result);
}

/** A whole-request 503 AUTH_UNAVAILABLE: retry later, no detail about the key server. */
export function expectAuthUnavailable(result: GqlResult<unknown>): void {
  expect(result.status).toBe(503);
  expect(result.headers.get('retry-after')).not.toBeNull();
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['AUTH_UNAVAILABLE']);
  expectNoLeak(result);
}

/** Seeded PRNG, so randomized tests replay exactly. */
export { mulberry32 as seededRandom } from '../../src/demo/random.js';
