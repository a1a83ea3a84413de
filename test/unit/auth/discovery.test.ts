/** OpenID discovery of an issuer's JWKS URL: which answers are believed, which redirects followed. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discoverJwksUrl } from '../../../src/auth/discovery.js';
import { systemClock } from '../../../src/clock.js';

let server: Server;
let origin: string;
let answer: (path: string) => { status: number; headers?: Record<string, string>; body?: unknown };
beforeAll(async () => {
  server = createServer((req, res) => {
    const { status, headers = {}, body } = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? '' : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const discover = (issuer: string) => discoverJwksUrl(issuer, { clock: systemClock, timeoutMs: 2000, maxBytes: 64 * 1024 });

test('reads jwks_uri from <issuer>/.well-known/openid-configuration, with or without the trailing slash', async () => {
  answer = (path) =>
    path === '/realms/acme/.well-known/openid-configuration'
      ? { status: 200, body: { issuer: `${origin}/realms/acme`, jwks_uri: `${origin}/realms/acme/certs` } }
      : { status: 404 };
  await expect(discover(`${origin}/realms/acme`)).resolves.toBe(`${origin}/realms/acme/certs`);
  await expect(discover(`${origin}/realms/acme/`)).resolves.toBe(`${origin}/realms/acme/certs`);
});

test('follows a redirect within the issuer’s origin, never to another origin', async () => {
  answer = (path) => {
    if (path === '/.well-known/openid-configuration') return { status: 301, headers: { location: '/v2/openid-configuration' } };
    if (path === '/v2/openid-configuration') return { status: 200, body: { issuer: `${origin}/`, jwks_uri: `${origin}/keys` } };
    return { status: 404 };
  };
  await expect(discover(`${origin}/`)).resolves.toBe(`${origin}/keys`);
  answer = () => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
  await expect(discover(`${origin}/`)).rejects.toThrow(/redirect not followed/);
});

test('refuses a document for another issuer, without a usable jwks_uri, not JSON, or not 200', async () => {
  for (const [reply, why] of [
    [{ status: 200, body: { issuer: 'https://someone-else.example/', jwks_uri: `${origin}/keys` } }, /names issuer/],
    [{ status: 200, body: { issuer: `${origin}/` } }, /no usable jwks_uri/],
    [{ status: 200, body: { issuer: `${origin}/`, jwks_uri: 'ftp://x/keys' } }, /not https/],
    [{ status: 200, body: ['not', 'an', 'object'] }, /not a JSON object/],
    [{ status: 500, body: { error: 'down' } }, /HTTP 500/],
  ] as const) {
    answer = () => reply;
    await expect(discover(`${origin}/`)).rejects.toThrow(why);
  }
});
