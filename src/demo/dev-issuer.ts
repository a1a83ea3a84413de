import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type CryptoKey } from 'jose';
import { PROJECT_ROOT } from '../paths.js';
import { PERSONAS, type PersonaName } from './personas.js';

/**
 * The development token issuer: a local RS256 key pair, its public JWKS served over HTTP,
 * and a signer for persona and machine tokens shaped like Auth0's (issuer with a trailing
 * slash, `aud` array with the userinfo audience, `azp`, OIDC scopes in `scope`, RBAC
 * `permissions`, `org_id` for Organization logins). It exists so the demo world needs no
 * identity provider; configuration never lets production fall back to it.
 */

/** `iss` of every development token. */
export const DEV_ISSUER = 'https://dev-issuer.bff.localhost/';
/** The API audience of every development token. */
export const DEV_AUDIENCE = 'https://bff.localhost/graphql';
/** The second audience Auth0 adds to user tokens requested with `openid`. */
export const DEV_USERINFO_AUDIENCE = `${DEV_ISSUER}userinfo`;
/** What a login asks for besides API permissions: OIDC scopes, never API access. */
const USER_SCOPE = 'openid profile email';

/** Where `npm start` and `npm run token` share the development key (git-ignored). */
export const DEV_KEY_FILE = join(PROJECT_ROOT, '.dev', 'dev-issuer-key.json');

interface KeyMaterial {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly kid: string;
}

/** Options for one token; `ttlSeconds` may be negative for an already expired token. */
export interface SignOptions {
  readonly ttlSeconds?: number;
  readonly claims?: Record<string, unknown>;
  readonly audience?: string | string[];
  readonly issuer?: string;
  /** Auth0 Organization the user signed in through (`org_id`). */
  readonly organization?: string;
  readonly subject?: string;
  readonly header?: Record<string, unknown>;
  /** Seconds since the epoch used as `iat`; defaults to now. */
  readonly issuedAt?: number;
}

/** A development issuer: signs persona tokens and (once started) serves its JWKS. */
export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly publicJwks: { keys: JWK[] };
  signPersona(persona: PersonaName, options?: SignOptions): Promise<string>;
  /** A machine-to-machine token (client credentials): subject `<client>@clients`, acting for no user. */
  signMachine(clientId: string, permissions: readonly string[], options?: SignOptions): Promise<string>;
  sign(payload: Record<string, unknown>, options?: SignOptions): Promise<string>;
  /** Serves `/.well-known/jwks.json` on loopback; resolves to the JWKS URL. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

/** Generates a fresh key pair (tests) or loads/creates the shared key file (demo, token CLI). */
export async function createDevIssuer(options: { keyFile?: string | null } = {}): Promise<DevIssuer> {
  const keys = options.keyFile === null || options.keyFile === undefined ? await freshKeys() : await loadOrCreateKeys(options.keyFile);
  let server: Server | undefined;

  async function sign(payload: Record<string, unknown>, signOptions: SignOptions = {}): Promise<string> {
    const iat = signOptions.issuedAt ?? Math.floor(Date.now() / 1000);
    const organization = signOptions.organization === undefined ? {} : { org_id: signOptions.organization };
    const jwt = new SignJWT({ ...payload, ...organization, ...signOptions.claims })
      .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'at+jwt', ...signOptions.header })
      .setIssuer(signOptions.issuer ?? DEV_ISSUER)
      .setAudience(signOptions.audience ?? DEV_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (signOptions.ttlSeconds ?? 3600));
    if (signOptions.subject) jwt.setSubject(signOptions.subject);
    return jwt.sign(keys.privateKey);
  }

  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    publicJwks: { keys: [keys.publicJwk] },
    sign,
    signPersona(name, signOptions = {}) {
      const persona = PERSONAS[name];
      return sign(
        {
          azp: persona.clientId,
          scope: USER_SCOPE,
          permissions: [...persona.permissions],
        },
        { subject: persona.subject, audience: [DEV_AUDIENCE, DEV_USERINFO_AUDIENCE], ...signOptions },
      );
    },
    signMachine(clientId, permissions, signOptions = {}) {
      // Auth0's client-credentials shape: granted permissions in `scope` (and `permissions`
      // with RBAC on), one audience, no OIDC scopes.
      return sign(
        { azp: clientId, gty: 'client-credentials', scope: permissions.join(' '), permissions: [...permissions] },
        { subject: `${clientId}@clients`, ...signOptions },
      );
    },
    async listen(port = 0) {
      const body = JSON.stringify({ keys: [keys.publicJwk] });
      server = createServer((req, res) => {
        if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(body);
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
        }
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('dev issuer: unexpected listen address');
      return `http://127.0.0.1:${address.port}/.well-known/jwks.json`;
    },
    async close() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

async function freshKeys(): Promise<KeyMaterial> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `dev-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return { privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' }, kid };
}

async function loadOrCreateKeys(file: string): Promise<KeyMaterial> {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
    const privateKey = (await importJWK(stored.privateJwk, 'RS256')) as CryptoKey;
    return { privateKey, publicJwk: stored.publicJwk, kid: stored.publicJwk.kid! };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const keys = await freshKeys();
  const privateJwk = { ...(await exportJWK(keys.privateKey)), kid: keys.kid, alg: 'RS256' };
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename so `npm start` and `npm run token` racing never read half a file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ privateJwk, publicJwk: keys.publicJwk }), { mode: 0o600 });
  try {
    writeFileSync(file, '', { flag: 'wx', mode: 0o600 });
    renameSync(temp, file);
  } catch {
    // Another process created it first: use theirs so both agree on the key.
    return loadOrCreateKeys(file);
  }
  return keys;
}
