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
