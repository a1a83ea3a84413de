import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER, DEV_USERINFO_AUDIENCE } from '../../src/demo/dev-issuer.js';
import { PERSONAS, type PersonaName } from '../../src/demo/personas.js';

/**
 * A tiny key server whose behaviour tests switch at will (serve keys, hang, serve HTML,
 * answer an error status) and which counts every request it receives, so tests can prove
 * how often the BFF dials out. Also usable as an "attacker" server that must never be hit.
 */
export interface JwksServer {
  /** The JWKS URL (`/.well-known/jwks.json`). */
  readonly url: string;
  /** Base URL, for pointing `jku`/`x5u` headers at it. */
  readonly origin: string;
  /** Requests received so far, on any path. */
  readonly requests: number;
  mode: JwksMode;
  /** Where `redirect` mode points. */
  redirectTo: string;
  /** Public keys served in `ok` mode. */
  keys: JWK[];
  reset(): void;
  close(): Promise<void>;
}

/** What the server does with each request. */
export type JwksMode = 'ok' | 'hang' | 'html' | 'error' | 'redirect';

/** Starts a key server on a free loopback port, serving `keys`. */
export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  let requests = 0;
  const state = { mode: 'ok' as JwksMode, keys, redirectTo: 'http://169.254.169.254/latest/meta-data/' };
  const server: Server = createServer((_req, res) => {
    requests++;
    switch (state.mode) {
      case 'hang':
        return; // never answers; close() tears the socket down
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Maintenance</body></html>');
        return;
      case 'error':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal","detail":"db at 10.0.0.7 down"}');
        return;
      case 'redirect':
        res.writeHead(302, { location: state.redirectTo }).end();
        return;
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/.well-known/jwks.json`,
    origin,
    get requests() {
      return requests;
    },
    get mode() {
      return state.mode;
    },
    set mode(mode: JwksMode) {
      state.mode = mode;
    },
    get redirectTo() {
      return state.redirectTo;
    },
    set redirectTo(location: string) {
      state.redirectTo = location;
    },
    get keys() {
      return state.keys;
    },
    set keys(next: JWK[]) {
      state.keys = next;
    },
    reset() {
      requests = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A signing key of a test issuer: its public JWK (with kid) and a signer. */
export interface TestKey {
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
  /** Signs `payload` with RS256; header/claims defaults match the development issuer. */
  sign(
    payload: JWTPayload,
    options?: { header?: Record<string, unknown>; ttlSeconds?: number | null; issuer?: string; audience?: string | string[] },
  ): Promise<string>;
}

/** Generates a fresh RS256 key with the given key id. */
export async function createTestKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    publicJwk,
    privateKey,
    sign(payload, options = {}) {
      const iat = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ iat, ...payload })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt', ...options.header })
        .setIssuer(options.issuer ?? payload.iss ?? DEV_ISSUER)
        .setAudience(options.audience ?? payload.aud ?? DEV_AUDIENCE);
      // `ttlSeconds: null` leaves `exp` out entirely.
      if (options.ttlSeconds !== null) jwt.setExpirationTime(iat + (options.ttlSeconds ?? 3600));
      return jwt.sign(privateKey);
    },
  };
}

/** The claims the development issuer puts in a persona's access token (Auth0's shape). */
export function personaClaims(persona: PersonaName): JWTPayload {
  const p = PERSONAS[persona];
  return {
    iss: DEV_ISSUER,
    aud: [DEV_AUDIENCE, DEV_USERINFO_AUDIENCE],
    sub: p.subject,
    azp: p.clientId,
    scope: 'openid profile email',
    permissions: [...p.permissions],
  };
}

/** A test issuer with OpenID discovery: its configuration document and key set, under `path`. */
export interface IssuerServer {
  /** The issuer identifier (`http://127.0.0.1:<port><path>`), with its trailing slash. */
  readonly issuer: string;
  /** Requests per document so far. */
  readonly requests: { discovery: number; jwks: number };
  /** What the discovery document does: answer, fail, redirect, or name another issuer. */
  discovery: 'ok' | 'error' | 'redirect' | 'wrong-issuer';
  /** Where `redirect` mode points. */
  redirectTo: string;
  keys: JWK[];
  close(): Promise<void>;
}

/** Starts an issuer on a free loopback port serving `<path>.well-known/openid-configuration` and its JWKS. */
export async function startIssuerServer(keys: JWK[], path = '/tenant/'): Promise<IssuerServer> {
  const requests = { discovery: 0, jwks: 0 };
  let origin = '';
  const state = {
    discovery: 'ok' as IssuerServer['discovery'],
    redirectTo: 'http://169.254.169.254/latest/meta-data/',
    keys,
  };
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === `${path}.well-known/openid-configuration`) {
      requests.discovery++;
      if (state.discovery === 'error') return json(503, { error: 'unavailable' });
      if (state.discovery === 'redirect') return res.writeHead(302, { location: state.redirectTo }).end();
      const issuer = state.discovery === 'wrong-issuer' ? 'https://someone-else.example/' : `${origin}${path}`;
      return json(200, { issuer, jwks_uri: `${origin}${path}.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (req.url === `${path}.well-known/jwks.json`) {
      requests.jwks++;
      return json(200, { keys: state.keys });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: `${origin}${path}`,
    requests,
    get discovery() {
      return state.discovery;
    },
    set discovery(mode) {
      state.discovery = mode;
    },
    get redirectTo() {
      return state.redirectTo;
    },
    set redirectTo(location: string) {
      state.redirectTo = location;
    },
    get keys() {
      return state.keys;
    },
    set keys(next: JWK[]) {
      state.keys = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
