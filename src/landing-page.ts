import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The development landing page: GET on the GraphQL path from a browser. It embeds Apollo
 * Sandbox from Apollo's CDN and, when that cannot load (offline, blocked), falls back to
 * GraphiQL served from the installed `graphiql` package, prefilled with the same document and
 * token. Never built in production.
 *
 * The token is the demo issuer's, minted per page load and short-lived, and only put in pages
 * requested with a loopback Host: a page fetched under any other name (a LAN address, a tunnel,
 * a DNS-rebinding domain pointing at 127.0.0.1) carries no token.
 */

/** How long the landing page's token lives. */
export const LANDING_TOKEN_TTL_SECONDS = 15 * 60;

/** What the landing page is built from. */
export interface LandingPageOptions {
  readonly graphqlPath: string;
  /** Mints a fresh token for one page (the demo issuer); absent when there is no issuer to ask. */
  readonly mintToken?: () => Promise<string>;
}

/** The landing page and its offline assets. */
export interface LandingPage {
  /** Answers the request when it is for the page or one of its assets; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** The files of the offline explorer, by the name the page asks for (nothing else is served). */
const ASSETS: Readonly<Record<string, { readonly file: () => string; readonly type: string }>> = {
  'react.production.min.js': { file: () => join(packageDir('react'), 'umd/react.production.min.js'), type: 'text/javascript' },
  'react-dom.production.min.js': { file: () => join(packageDir('react-dom'), 'umd/react-dom.production.min.js'), type: 'text/javascript' },
  'graphiql.min.js': { file: () => join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript' },
  'graphiql.min.css': { file: () => join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css' },
};

/** Where Apollo Sandbox is loaded from (the page falls back to GraphiQL when it cannot). */
export const SANDBOX_SCRIPT = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';

// localhost, 127.0.0.1 and [::1], with any port: the names a browser on this machine uses.
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/** True when a request's Host header names this machine's loopback interface. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/** Builds the landing page for `graphqlPath`. */
export function createLandingPage(options: LandingPageOptions): LandingPage {
  const assetPrefix = `${options.graphqlPath}/explorer/`;
  const cache = new Map<string, Buffer>();
  return {
    async handle(req, res, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (url.pathname.startsWith(assetPrefix)) {
        const asset = ASSETS[url.pathname.slice(assetPrefix.length)];
        if (asset === undefined) return false;
        let body = cache.get(url.pathname);
        if (body === undefined) {
          body = readFileSync(asset.file());
          cache.set(url.pathname, body);
        }
        res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=3600' }).end(body);
        return true;
      }
      if (url.pathname !== options.graphqlPath || !wantsPage(req, url)) return false;
      const token = options.mintToken !== undefined && isLoopbackHost(req.headers.host) ? await options.mintToken() : undefined;
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          // The page may hold a token: never stored, framed or sent on as a referrer.
          'cache-control': 'no-store',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        })
        .end(renderPage({ graphqlPath: options.graphqlPath, assetPrefix, token, tokenOffered: options.mintToken !== undefined }));
      return true;
    },
  };
}

/** The operation the explorer opens with. */
export function welcomeDocument(token: boolean): string {
  const intro = token
    ? `# The Authorization header holds a token for alice (Acme Corp admin), valid ${LANDING_TOKEN_TTL_SECONDS / 60} minutes:
# reload the page for a fresh one. Other personas: npm run -s token -- <alice|bob|carol|mallory|dave|frank>
# (erin belongs to two customers: npm run -s token -- erin --org globex)`
    : `# No token on this page: set the Authorization header to "Bearer <token>".
# Tokens of the demo world: npm run -s token -- <alice|bob|carol|mallory|dave|frank|erin --org globex>`;
  return `${intro}
query WhoAmI {
  viewer {
    subject
    permissions
    entitlements
    user { name role }
    customer {
      name
      invoices(first: 3) { totalCount edges { cursor node { number status total { amount currency } } } }
      licenses { product { name } status seats seatsUsed }
    }
  }
}
`;
}

// A browser navigating here, not a GraphQL GET (which names a query, an id or extensions).
function wantsPage(req: IncomingMessage, url: URL): boolean {
  if (['query', 'documentId', 'extensions'].some((name) => url.searchParams.has(name))) return false;
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}

interface PageConfig {
  readonly graphqlPath: string;
  readonly assetPrefix: string;
  readonly token: string | undefined;
  readonly tokenOffered: boolean;
}

function renderPage(page: PageConfig): string {
  const headers = page.token === undefined ? {} : { Authorization: `Bearer ${page.token}` };
  const config = {
    endpoint: page.graphqlPath,
    document: welcomeDocument(page.token !== undefined),
    headers,
    sandboxScript: SANDBOX_SCRIPT,
    assets: {
      css: `${page.assetPrefix}graphiql.min.css`,
      scripts: ['react.production.min.js', 'react-dom.production.min.js', 'graphiql.min.js'].map((name) => `${page.assetPrefix}${name}`),
    },
  };
  const note =
    page.token !== undefined
      ? `Signed in as alice for ${LANDING_TOKEN_TTL_SECONDS / 60} minutes (reload for a fresh token).`
      : page.tokenOffered
        ? 'No token: this page carries one only when opened as localhost, 127.0.0.1 or [::1].'
        : 'No token: set the Authorization header yourself.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>shielded-bff explorer (development)</title>
<style>
  html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  header { padding: 6px 12px; font-size: 13px; background: #1f2937; color: #f9fafb; display: flex; gap: 16px; align-items: center; }
  header button { font: inherit; cursor: pointer; }
  #explorer { flex: 1; min-height: 0; }
  #explorer iframe { width: 100%; height: 100%; border: none; }
</style>
</head>
<body>
<header>
  <strong>shielded-bff</strong>
  <span id="explorer-name">Apollo Sandbox</span>
  <span>${escapeHtml(note)}</span>
  <button id="offline" type="button">Use the offline explorer (GraphiQL)</button>
</header>
<div id="explorer"></div>
<script type="application/json" id="bff-explorer-config">${jsonForScript(config)}</script>
<script>
(function () {
  var config = JSON.parse(document.getElementById('bff-explorer-config').textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var mode = null;

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      for (var name in attributes) element.setAttribute(name, attributes[name]);
      element.onload = resolve;
      element.onerror = reject;
      document.head.appendChild(element);
    });
  }

  // The offline explorer: GraphiQL from this server (the graphiql package), same document, same token.
  function startGraphiQL() {
    if (mode === 'graphiql') return;
    mode = 'graphiql';
    document.getElementById('explorer-name').textContent = 'GraphiQL (offline)';
    document.getElementById('offline').hidden = true;
    var target = document.getElementById('explorer');
    target.innerHTML = '';
    load('link', { rel: 'stylesheet', href: config.assets.css })
      .then(function () {
        return config.assets.scripts.reduce(function (previous, src) {
          return previous.then(function () { return load('script', { src: src }); });
        }, Promise.resolve());
      })
      .then(function () {
        var fetcher = window.GraphiQL.createFetcher({ url: endpoint });
        window.ReactDOM.createRoot(target).render(
          window.React.createElement(window.GraphiQL, {
            fetcher: fetcher,
            query: config.document,
            headers: JSON.stringify(config.headers, null, 2),
            defaultEditorToolsVisibility: 'headers',
            shouldPersistHeaders: false,
          })
        );
      })
      .catch(function () {
        target.textContent = 'The offline explorer could not load its files from this server.';
      });
  }

  function startSandbox() {
    if (mode !== null) return;
    mode = 'sandbox';
    new window.EmbeddedSandbox({
      target: '#explorer',
      initialEndpoint: endpoint,
      initialState: { document: config.document, headers: config.headers, includeCookies: false },
      endpointIsEditable: false,
      hideCookieToggle: true,
      runTelemetry: false,
    });
  }

  document.getElementById('offline').addEventListener('click', startGraphiQL);
  // Offline the CDN fails fast; a CDN that hangs is given up after a few seconds.
  var patience = setTimeout(startGraphiQL, 8000);
  load('script', { src: config.sandboxScript }).then(
    function () { clearTimeout(patience); if (window.EmbeddedSandbox) startSandbox(); else startGraphiQL(); },
    function () { clearTimeout(patience); startGraphiQL(); }
  );
})();
</script>
</body>
</html>
`;
}

// JSON inside a <script> element: nothing in it may close the element or open a comment.
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
