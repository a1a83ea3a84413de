import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createUpstreams, type Upstreams, type UpstreamsDependencies } from '../../src/upstream/index.js';

/**
 * Upstream clients configured as the product configures them, from environment variables
 * (`env` over defaults without retries or breakers, so each fault is seen in isolation).
 */
export function upstreamsFor(
  urls: UpstreamsDependencies['urls'],
  env: Record<string, string> = {},
  deps: Partial<Omit<UpstreamsDependencies, 'urls'>> = {},
): Upstreams {
  const settings = loadConfig({ UPSTREAM_READ_RETRIES: '0', UPSTREAM_BREAKER_FAILURE_THRESHOLD: '0', ...env }).upstream;
  return createUpstreams(settings, { clock: systemClock, ...deps, urls });
}

/**
 * Wraps the customer API's identity reads so a test can tell parallel from sequential calls:
 * each call is held until the event loop has turned, so calls issued together overlap, while a
 * call issued after another's answer cannot. `most` is the largest overlap seen.
 */
export function trackIdentityConcurrency(): { wrap: (real: Upstreams) => Upstreams; readonly most: number } {
  let inFlight = 0;
  let most = 0;
  const track =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        return await call(...args);
      } finally {
        inFlight--;
      }
    };
  return {
    wrap: (real) => ({
      ...real,
      customers: {
        ...real.customers,
        usersByIds: track(real.customers.usersByIds),
        usersBySubjects: track(real.customers.usersBySubjects),
        customersByOrganizations: track(real.customers.customersByOrganizations),
      },
    }),
    get most() {
      return most;
    },
  };
}
