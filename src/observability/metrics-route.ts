import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRoute } from '../http.js';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics` in Prometheus text format. Metrics say how busy the service is and which rules
 * deny what (rule names, schema coordinates: never data, never a subject), which is still
 * nothing for the public: in production they are served either on a port of their own
 * (`METRICS_PORT`, reachable by the scraper only) or behind a bearer token (`METRICS_TOKEN`).
 */

/** Path of the metrics, wherever they are served. */
export const METRICS_PATH = '/metrics';

/** The route; with `token`, only requests carrying `Authorization: Bearer <token>` are answered. */
export function metricsRoute(metrics: Metrics, token: string | null): HttpRoute {
  const expected = token === null ? null : Buffer.from(`Bearer ${token}`, 'utf8');
  return {
    path: METRICS_PATH,
    async handle(req: IncomingMessage, res: ServerResponse) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (expected !== null) {
        const given = Buffer.from(req.headers.authorization ?? '', 'utf8');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain' }).end('unauthorized\n');
          return;
        }
      }
      const { contentType, body } = await metrics.render();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    },
  };
}

/** A listener serving only the metrics route (METRICS_PORT). */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the metrics listener on `host:port`. */
export async function startMetricsServer(route: HttpRoute, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== route.path) {
      res.writeHead(404).end();
      return;
    }
    route.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shown}:${bound}${route.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
