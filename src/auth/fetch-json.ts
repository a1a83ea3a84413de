import { readBounded } from '../bounded-body.js';
import type { Clock } from '../clock.js';

/** How patient and how trusting one fetch of an issuer's document is. */
export interface FetchJsonOptions {
  readonly clock: Clock;
  /** Budget for the whole exchange, redirects included. */
  readonly timeoutMs: number;
  /** Largest body read; a larger one is abandoned while streaming. */
  readonly maxBytes: number;
  readonly accept: string;
  /** Redirects followed, and only within the URL's own origin (default 0: none). */
  readonly sameOriginRedirects?: number;
}

/**
 * GETs a JSON document from an issuer (key set, discovery document): bounded in time and
 * size, redirects to another origin never followed (an issuer is not allowed to send us
 * elsewhere, e.g. to a metadata service), and any answer but 200 is an error.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const timeout = new AbortController();
  const cancelTimer = options.clock.schedule(options.timeoutMs, () => timeout.abort(new Error(`no answer within ${options.timeoutMs} ms`)));
  try {
    let current = new URL(url);
    for (let redirects = 0; ; redirects++) {
      const response = await fetch(current, {
        method: 'GET',
        redirect: 'manual',
        headers: { accept: options.accept },
        signal: timeout.signal,
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const next = redirectTarget(response.headers.get('location'), current);
        if (next === null || next.origin !== current.origin || redirects >= (options.sameOriginRedirects ?? 0)) {
          throw new Error(`answered HTTP ${response.status} (redirect not followed)`);
        }
        current = next;
        continue;
      }
      if (response.status !== 200 || response.body === null) {
        await response.body?.cancel();
        throw new Error(`answered HTTP ${response.status}`);
      }
      const text = (await readBounded(response.body, options.maxBytes, response.headers.get('content-length'))).toString('utf8');
      return JSON.parse(text) as unknown;
    }
  } finally {
    cancelTimer();
  }
}

function redirectTarget(location: string | null, base: URL): URL | null {
  if (location === null) return null;
  try {
    return new URL(location, base);
  } catch {
    return null;
  }
}
