/**
 * `npm run example [-- --port 5173]`: builds the portal, starts the BFF on the demo world as an
 * operator would configure it for this SPA (CORS for the portal's origin, the portal's manifest
 * as its trusted documents, free-form documents refused), serves the portal on its own origin,
 * and prints what to open. Ctrl-C stops everything.
 */
import { join } from 'node:path';
import { startApp } from '../../../src/app.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { createDevIssuer, DEV_KEY_FILE } from '../../../src/demo/dev-issuer.js';
import { createLogger } from '../../../src/log.js';
import { buildPortal, PORTAL_MANIFEST, PORTAL_ROOT } from './build.js';
import { startPortalServer } from './portal-server.js';

const DEFAULT_PORTAL_PORT = 5173;

async function main(argv: readonly string[]): Promise<number> {
  const portFlag = argv.indexOf('--port');
  const portalPort = portFlag < 0 ? DEFAULT_PORTAL_PORT : Number(argv[portFlag + 1]);
  if (!Number.isInteger(portalPort) || portalPort < 0 || portalPort > 65_535) {
    process.stderr.write('usage: npm run example [-- --port <portal port, default 5173>]\n');
    return 2;
  }

  process.stdout.write('Building the portal (vite build)…\n');
  const distDir = join(PORTAL_ROOT, 'dist');
  await buildPortal(distDir);

  // The same key `npm start` and `npm run token` use, so the BFF below accepts these tokens.
  const issuer = await createDevIssuer({ keyFile: DEV_KEY_FILE });
  let bffUrl = '';
  const portal = await startPortalServer(
    { distDir, bffUrl: () => bffUrl, signToken: (persona) => issuer.signPersona(persona) },
    portalPort,
  );

  // What an operator sets for this SPA; the rest is the BFF's own configuration (PORT, LOG_LEVEL, ...).
  const environment = {
    ...process.env,
    // The browser sends whichever host the address bar shows: allow both names of loopback.
    CORS_ORIGINS: `${portal.origin},http://localhost:${new URL(portal.origin).port}`,
    TRUSTED_DOCUMENTS: PORTAL_MANIFEST,
    ALLOW_FREE_FORM_DOCUMENTS: 'false',
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    await portal.close();
    return 1;
  }
  if (config.auth.mode !== 'demo' || config.upstream.mode !== 'demo') {
    process.stderr.write('npm run example runs the demo world: unset AUTH_ISSUER, AUTH_ISSUERS and the *_API_URL variables.\n');
    await portal.close();
    return 1;
  }
  const app = await startApp(config, { log: createLogger(config.logLevel) });
  bffUrl = app.url;
  app.lifecycle.onStop('portal server', () => portal.close());
  app.lifecycle.handleSignals(process);

  process.stdout.write(
    [
      '',
      `Portal ready at ${portal.url}  <- open this`,
      `  BFF at ${app.url}: CORS for ${portal.origin}, trusted documents only (${PORTAL_MANIFEST})`,
      '  Pick a persona at the top right: alice (admin), bob (no billing access), carol (analytics license expired), ...',
      '  Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    process.stderr.write(
      inUse
        ? `A port is in use (${message}). Is \`npm start\` or another example running? Stop it, or pick other ports: PORT=4001 npm run example -- --port 5174\n`
        : `The example could not start: ${message}\n`,
    );
    process.exit(1);
  },
);
