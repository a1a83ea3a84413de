import { startDemoServices } from '../src/demo/services.js';
import type { PersonaName } from '../src/demo/personas.js';
import { createLogger } from '../src/log.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createUpstreams } from '../src/upstream/index.js';
import { runInProcess, type InProcessOptions } from './inprocess.js';
import { runTokenBench } from './token-bench.js';
import { benchVerifier, createVariant, personaPrincipal, type VariantName } from './variants.js';

/**
 * Entry point of the benchmark's child processes (forked by run.ts with an IPC channel):
 *   child.ts upstreams <scale>                 the three demo services
 *   child.ts server <variant> <urls> <jwks> <maxPageSize>   one server under test
 *   child.ts inprocess <json options>          the in-process execution benchmark
 *   child.ts tokens <jwks> <token>             the token-cache microbenchmark
 * Servers answer `snapshot` with their CPU time (process.cpuUsage), upstream calls made and
 * GraphQL requests completed, so run.ts can compute per-request figures for a window.
 */

/** Messages run.ts sends to a child. */
export type ToChild =
  | { type: 'snapshot'; id: number }
  | { type: 'latency'; id: number; ms: number }
  | { type: 'principal'; id: number; persona: PersonaName }
  | { type: 'stop' };

/** Messages a child sends back. */
export type FromChild =
  | { type: 'ready'; url?: string; urls?: { customers: string; billing: string; licenses: string } }
  | { type: 'snapshot'; id: number; cpuMicros: number; upstreamCalls: number; served: number }
  | { type: 'ack'; id: number }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

const send = (message: FromChild) => process.send!(message);
const [role, ...args] = process.argv.slice(2);
// Never outlive the orchestrator (Ctrl-C, crash): its IPC channel closing ends the child.
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  if (role === 'upstreams') {
    const demo = await startDemoServices({ scale: Number(args[0]) });
    const services = [demo.customers, demo.billing, demo.licenses];
    process.on('message', (message: ToChild) => {
      if (message.type === 'latency') {
        for (const service of services) service.faults.latencyMs = message.ms;
        send({ type: 'ack', id: message.id });
      } else if (message.type === 'snapshot') {
        send({ type: 'snapshot', id: message.id, cpuMicros: cpuMicros(), upstreamCalls: demo.totalRequests(), served: 0 });
      } else if (message.type === 'stop') {
        void demo.close().then(() => process.exit(0));
      }
    });
    send({ type: 'ready', urls: demo.urls });
    return;
  }
  if (role === 'server') {
    const [variant, urls, jwksUrl, maxPageSize] = args as [VariantName, string, string, string];
    let upstreamCalls = 0;
    // Generous timeout: an overloaded stock-shield server can take seconds to read an upstream
    // answer; a timeout would change its response, and timeouts are not what is measured.
    const upstreams = createUpstreams(
      loadConfig({ UPSTREAM_TIMEOUT_MS: '120000', UPSTREAM_READ_RETRIES: '0', UPSTREAM_BREAKER_FAILURE_THRESHOLD: '0' }).upstream,
      { urls: JSON.parse(urls), clock: systemClock, recorder: { record: () => void upstreamCalls++ } },
    );
    // warn: the decision log (info) would write a line per denial to stderr in S4.
    const server = createVariant(variant, {
      verifier: benchVerifier(jwksUrl),
      upstreams,
      log: createLogger('warn'),
      maxPageSize: Number(maxPageSize),
    });
    let served = 0;
    server.httpServer.on('request', (_req, res) => res.once('finish', () => void served++));
    const url = await server.listen(0, '127.0.0.1');
    process.on('message', (message: ToChild) => {
      if (message.type === 'snapshot') send({ type: 'snapshot', id: message.id, cpuMicros: cpuMicros(), upstreamCalls, served });
      else if (message.type === 'principal') {
        server.setPrincipal(personaPrincipal(message.persona));
        send({ type: 'ack', id: message.id });
      } else if (message.type === 'stop')
        void server
          .stop()
          .then(() => upstreams.close())
          .then(() => process.exit(0));
    });
    send({ type: 'ready', url });
    return;
  }
  if (role === 'inprocess') {
    const result = await runInProcess(JSON.parse(args[0]!) as InProcessOptions);
    process.send!({ type: 'result', result } satisfies FromChild, () => process.exit(0));
    return;
  }
  if (role === 'tokens') {
    const result = await runTokenBench(args[0]!, args[1]!);
    process.send!({ type: 'result', result } satisfies FromChild, () => process.exit(0));
    return;
  }
  throw new Error(`unknown child role ${role}`);
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send!({ type: 'error', message } satisfies FromChild, () => process.exit(1));
});
