import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Metrics } from '../src/observability/metrics.js';
import type { Telemetry } from '../src/observability/request.js';
import { createTracing } from '../src/observability/tracing.js';
import { upstreamObserver } from '../src/observability/upstream.js';
import { createUpstreams, type Upstreams } from '../src/upstream/index.js';
import type { FromChild, ToChild } from './child.js';
import { benchVerifier, createVariant } from './variants.js';

/**
 * A server child of bench/tracing.ts: the shipped server (V2, `createBff`) with the product's
 * telemetry wired as `startApp` wires it, in one of two modes:
 *   tracing-child.ts off <urls> <jwks> <maxPageSize>          metrics on, tracing off (the default)
 *   tracing-child.ts on  <urls> <jwks> <maxPageSize> <otlp>   metrics on, every request traced, spans
 *                                                             exported over OTLP/HTTP to <otlp>
 * It speaks bench/child.ts's protocol (ready, snapshot, stop), so the orchestrator drives it
 * and a previous release's `bench/child.ts server V2` alike.
 */

const send = (message: FromChild) => process.send!(message);
const [mode, urls, jwksUrl, maxPageSize, otlpUrl] = process.argv.slice(2) as [string, string, string, string, string | undefined];
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  if (mode !== 'off' && mode !== 'on') throw new Error(`unknown mode ${mode}`);
  const tracing = mode === 'on' ? createTracing({ otlpUrl: otlpUrl ?? null, sampleRatio: 1, serviceName: 'shielded-bff-bench' }) : null;
  if (mode === 'on' && tracing === null) throw new Error('tracing on needs an OTLP URL');
  let upstreams: Upstreams | undefined;
  const metrics = new Metrics({ circuits: () => upstreams?.circuits?.() ?? {} });
  const telemetry: Telemetry = { metrics, ...(tracing ? { tracing } : {}) };
  let upstreamCalls = 0;
  // The settings of bench/child.ts (generous timeout, no retries, no breaker), with the observer.
  upstreams = createUpstreams(
    loadConfig({ UPSTREAM_TIMEOUT_MS: '120000', UPSTREAM_READ_RETRIES: '0', UPSTREAM_BREAKER_FAILURE_THRESHOLD: '0' }).upstream,
    {
      urls: JSON.parse(urls),
      clock: systemClock,
      recorder: { record: () => void upstreamCalls++ },
      ...(upstreamObserver(telemetry) ? { observer: upstreamObserver(telemetry)! } : {}),
    },
  );
  // warn, as bench/child.ts: the per-request info line is then a no-op, as in a deployment at warn.
  const server = createVariant('V2', {
    verifier: benchVerifier(jwksUrl),
    upstreams,
    log: createLogger('warn'),
    maxPageSize: Number(maxPageSize),
    telemetry,
  });
  let served = 0;
  server.httpServer.on('request', (_req, res) => res.once('finish', () => void served++));
  const url = await server.listen(0, '127.0.0.1');
  process.on('message', (message: ToChild) => {
    if (message.type === 'snapshot') {
      const usage = process.cpuUsage();
      send({ type: 'snapshot', id: message.id, cpuMicros: usage.user + usage.system, upstreamCalls, served });
    } else if (message.type === 'principal') {
      send({ type: 'ack', id: message.id });
    } else if (message.type === 'stop') {
      void server
        .stop()
        .then(() => upstreams?.close())
        .then(() => tracing?.shutdown())
        .then(() => process.exit(0));
    }
  });
  send({ type: 'ready', url });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send!({ type: 'error', message } satisfies FromChild, () => process.exit(1));
});
