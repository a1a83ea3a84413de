import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { decodeJwt } from 'jose';
import { isPersonaName, type PersonaName } from '../../../src/demo/personas.js';

/**
 * The portal's web server for the demo and the browser tests: the built SPA as static files,
 * `/config.json` (where the BFF is), and `/dev/token`, the demo's stand-in for Auth0. A real
 * deployment serves the same files from any static host and gets tokens from its identity
 * provider; the BFF has no token endpoint and never will.
 */
export interface PortalServerOptions {
  /** The built SPA (Vite's outDir). */
  readonly distDir: string;
  /** The BFF's GraphQL URL, read per request so the BFF may start after this server. */
  readonly bffUrl: () => string;
  /** Signs a persona's access token (the demo key, or a test stack's issuer). */
  readonly signToken: (persona: PersonaName) => Promise<string>;
}

/** A listening portal server. */
export interface PortalServer {
  /** Where to open the portal, e.g. http://127.0.0.1:5173/ */
  readonly url: string;
  /** The origin browsers send from it: what the BFF's CORS_ORIGINS must list. */
  readonly origin: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves the portal on loopback (`port` 0: any free port). */
export async function startPortalServer(options: PortalServerOptions, port = 0, host = '127.0.0.1'): Promise<PortalServer> {
  const root = resolve(options.distDir);
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    const url = new URL(req.url ?? '/', 'http://portal.localhost');
    if (url.pathname === '/config.json') return sendJson(res, { bffUrl: options.bffUrl() });
    if (url.pathname === '/dev/token') return issueToken(url, res);
    return serveFile(url.pathname, res);
  }

  async function issueToken(url: URL, res: ServerResponse): Promise<void> {
    const persona = url.searchParams.get('persona') ?? '';
    if (!isPersonaName(persona)) return sendJson(res, { error: 'unknown persona' }, 400);
    const token = await options.signToken(persona);
    const expiresIn = (decodeJwt(token).exp ?? 0) - Math.floor(Date.now() / 1000);
    sendJson(res, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
  }

  async function serveFile(pathname: string, res: ServerResponse): Promise<void> {
    let path: string;
    try {
      path = resolve(root, `.${decodeURIComponent(pathname)}`);
    } catch {
      return void res.writeHead(400).end();
    }
    if (path !== root && !path.startsWith(root + sep)) return void res.writeHead(404).end();
    // Paths without an extension are the SPA's own routes: they all get index.html.
    if (path === root || extname(path) === '') path = join(root, 'index.html');
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      // Vite puts a content hash in every asset name; index.html must be revalidated to find new ones.
      'cache-control': path.startsWith(join(root, 'assets') + sep) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      // The page may talk to itself and to the BFF, nothing else: connect-src must name the BFF's origin.
      'content-security-policy': `default-src 'self'; connect-src 'self' ${originOf(options.bffUrl())}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'`,
    });
    res.end(body);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('portal server: unexpected listen address');
  const origin = `http://${host}:${address.port}`;
  return {
    url: `${origin}/`,
    origin,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/** The origin of the BFF's URL; empty while it is not known yet (the page then reaches nothing but itself). */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '';
}
