import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimitedLog } from './auth/rejections.js';
import { BodyTooLarge, readBounded } from './bounded-body.js';
import { CACHE_KEYS, type CrossRequestCache } from './cache/cross-request.js';
import type { Clock } from './clock.js';
import type { HttpRoute } from './http.js';
import type { Logger } from './log.js';

/**
 * `POST /notifications/license-changed`: the license service tells the BFF that a customer's
 * licenses changed, and the customer's cached licenses are dropped on every instance, so a
 * purchase or revocation takes effect at once instead of within the cache TTL.
 *
 * Authenticated by an HMAC-SHA256 over `<timestamp>.<raw body>` with a shared secret
 * (`X-BFF-Timestamp`, `X-BFF-Signature: sha256=<hex>`), compared in constant time. The timestamp
 * must be within the tolerance of this instance's clock, so a captured request stops working
 * after it. Within the window a replay only repeats an invalidation, which is idempotent and
 * costs one cache miss: no replay store is kept. The BFF never trusts the body for anything
 * but which keys to drop; the licenses themselves are always read from the license API.
 */

/** Path of the endpoint. */
export const LICENSE_CHANGED_PATH = '/notifications/license-changed';
/** Request headers of a signed notification. */
export const SIGNATURE_HEADER = 'x-bff-signature';
export const TIMESTAMP_HEADER = 'x-bff-timestamp';

const MAX_BODY_BYTES = 16 * 1024;
const MAX_CUSTOMERS = 100;
// Opaque upstream ids (src/demo/ids.ts and real ones): printable, no spaces, bounded.
const CUSTOMER_ID = /^[\x21-\x7e]{1,128}$/;

/** Settings of the endpoint (`config.licenseNotifications`). */
export interface LicenseNotificationSettings {
  readonly secret: string;
  readonly toleranceMs: number;
}

/** What the endpoint needs besides its settings. */
export interface LicenseNotificationDependencies {
  readonly cache: CrossRequestCache;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The signature a sender puts in `X-BFF-Signature` for `body` sent at `timestampSeconds`. */
export function signLicenseNotification(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** Why a notification was refused (logged, rate-limited; the sender only sees 401 or 400). */
type Refusal = 'missing_signature' | 'bad_timestamp' | 'stale' | 'bad_signature' | 'bad_body';

/** The route, ready for the front door. */
export function licenseNotificationRoute(settings: LicenseNotificationSettings, deps: LicenseNotificationDependencies): HttpRoute {
  const { cache, clock, log } = deps;
  const refusals = new RateLimitedLog(log, clock, 60_000);
  const secret = Buffer.from(settings.secret, 'utf8');

  const refuse = (res: ServerResponse, status: number, reason: Refusal, fields: Record<string, unknown> = {}) => {
    refusals.write('warn', 'notification.rejected', reason, { reason, ...fields });
    send(res, status, { error: status === 401 ? 'unauthorized' : 'bad_request' });
  };

  return {
    path: LICENSE_CHANGED_PATH,
    async handle(req: IncomingMessage, res: ServerResponse) {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return send(res, 405, { error: 'method_not_allowed' });
      }
      let raw: Buffer;
      try {
        raw = await readBounded(req, MAX_BODY_BYTES, req.headers['content-length']);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        req.resume();
        return send(res, 413, { error: 'too_large' }, { connection: 'close' });
      }
      const signature = req.headers[SIGNATURE_HEADER];
      const timestamp = req.headers[TIMESTAMP_HEADER];
      if (typeof signature !== 'string' || typeof timestamp !== 'string') return refuse(res, 401, 'missing_signature');
      if (!/^\d{1,12}$/.test(timestamp)) return refuse(res, 401, 'bad_timestamp');
      const skewMs = Math.abs(clock.now() - Number(timestamp) * 1000);
      if (skewMs > settings.toleranceMs) return refuse(res, 401, 'stale', { skewSeconds: Math.round(skewMs / 1000) });
      // The signature is checked on the bytes received, before the body is parsed at all.
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`, 'utf8');
      const given = Buffer.from(signature, 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(res, 401, 'bad_signature');

      const customerIds = parseCustomers(raw.toString('utf8'));
      if (customerIds === null) return refuse(res, 400, 'bad_body');
      const keys = customerIds.map((id) => CACHE_KEYS.licenses(id));
      await cache.invalidate(keys);
      log.info('cache.license_changed', { customerIds, keys: keys.length });
      send(res, 202, { invalidated: keys });
    },
  };
}

/** `{"customerId": "..."}` or `{"customerIds": [...]}`; null for anything else. */
function parseCustomers(text: string): string[] | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { customerId, customerIds } = body as { customerId?: unknown; customerIds?: unknown };
  const ids = customerIds === undefined ? [customerId] : customerIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_CUSTOMERS) return null;
  if (!ids.every((id): id is string => typeof id === 'string' && CUSTOMER_ID.test(id))) return null;
  return [...new Set(ids)];
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}
