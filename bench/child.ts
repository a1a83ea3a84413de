import { createWriteStream } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startApp } from '../src/app.js';
import type { TimedCall } from '../src/demo/http-service.js';
import { startDemoServices } from '../src/demo/services.js';
import type { PersonaName } from '../src/demo/personas.js';
import { createLogger } from '../src/log.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createUpstreams } from '../src/upstream/index.js';
import { type AttackCounts, type AttackOptions, startAttack } from './attacker.js';
import { runInProcess, type InProcessOptions } from './inprocess.js';
import { runTokenBench } from './token-bench.js';
import { benchExecutionLimits, benchVerifier, createVariant, personaPrincipal, type VariantName } from './variants.js';
import { ExecutionWorker } from '../src/execution/executor.js';

/**
 * Entry point of the benchmark's child processes (forked by run.ts with an IPC channel):
 *   child.ts upstreams <scale>                 the three demo services
 *   child.ts server <variant> <urls> <jwks> <maxPageSize>   one server under test
 *   child.ts inprocess <json options>          the in-process execution benchmark
 *   child.ts tokens <jwks> <token>             the token-cache microbenchmark
 *   child.ts bff <json env> <log file>         the BFF as `npm start` runs it (startApp), from
 *                                              that environment, logging to the file
 *   child.ts attack <json AttackOptions>       the noisy tenant's request loop (attacker.ts)
 * Servers answer `snapshot` with their CPU time (process.cpuUsage), upstream calls made and
 * GraphQL requests completed, so run.ts can compute per-request figures for a window. The
 * upstreams answer `timeline` with the calls answered since the last one (latency.ts counts
 * sequential round trips from it); `bff` answers `loop` with the longest event-loop delay
 * since the last `loop` (noisy-neighbour.ts); `attack` answers `finish` with its counts.
 */

/** Messages run.ts sends to a child. */
export type ToChild =
  | { type: 'snapshot'; id: number }
  | { type: 'latency'; id: number; ms: number }
  | { type: 'principal'; id: number; persona: PersonaName }
  | { type: 'timeline'; id: number }
  | { type: 'loop'; id: number }
  | { type: 'finish'; id: number }
  | { type: 'stop' };

/** Messages a child sends back. */
export type FromChild =
  | { type: 'ready'; url?: string; urls?: { customers: string; billing: string; licenses: string } }
  | { type: 'snapshot'; id: number; cpuMicros: number; upstreamCalls: number; served: number }
  | { type: 'ack'; id: number }
  /** `calls` in the upstreams' `performance.now()`; add `timeOrigin` for wall-clock ms comparable across processes. */
  | { type: 'timeline'; id: number; calls: TimedCall[]; unanswered: number; timeOrigin: number }
  | { type: 'loop'; id: number; maxMs: number; cpuMicros: number }
  | { type: 'finish'; id: number; counts: AttackCounts }
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
      } else if (message.type === 'timeline') {
        // A read the BFF dropped (its rule denied) may still be on its way: it belongs to this request.
        void untilIdle(() => demo.working() === 0, 5000).then(() => {
          const calls = demo.timeline();
          const unanswered = demo.working();
          demo.resetStats();
          send({ type: 'timeline', id: message.id, calls, unanswered, timeOrigin: performance.timeOrigin });
        });
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
    const settings = loadConfig({ UPSTREAM_TIMEOUT_MS: '120000', UPSTREAM_READ_RETRIES: '0', UPSTREAM_BREAKER_FAILURE_THRESHOLD: '0' });
    const upstreams = createUpstreams(settings.upstream, {
      urls: JSON.parse(urls),
      clock: systemClock,
      recorder: { record: () => void upstreamCalls++ },
    });
    // warn: the decision log (info) would write a line per denial to stderr in S4.
    const log = createLogger('warn');
    // V2 as shipped: large queries (S3-100) execute in the worker, on pools of the same settings;
    // its upstream calls come back as metrics events, counted with this thread's.
    const executor =
      variant === 'V2' && settings.executionWorker
        ? new ExecutionWorker(
            {
              upstream: settings.upstream,
              urls: JSON.parse(urls),
              maxPageSize: Number(maxPageSize),
              execution: benchExecutionLimits(),
              nice: settings.executionWorkerNice,
            },
            { log, metrics: { upstream: () => void upstreamCalls++, denied: () => {}, retried: () => {} } },
          )
        : undefined;
    await executor?.start();
    const server = createVariant(variant, {
      verifier: benchVerifier(jwksUrl),
      upstreams,
      log,
      maxPageSize: Number(maxPageSize),
      ...(executor ? { executor } : {}),
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
          .then(() => executor?.close())
          .then(() => upstreams.close())
          .then(() => process.exit(0));
    });
    send({ type: 'ready', url });
    return;
  }
  if (role === 'bff') {
    const [env, logFile] = args as [string, string];
    const config = loadConfig(JSON.parse(env) as NodeJS.ProcessEnv);
    // The product's logger at the configured level, into a file: its cost is part of a request's.
    const stream = createWriteStream(logFile, { flags: 'a' });
    let upstreamCalls = 0;
    const app = await startApp(config, {
      log: createLogger(config.logLevel, (line) => stream.write(line)),
      recorder: { record: () => void upstreamCalls++ },
    });
    let served = 0;
    app.bff.httpServer.on('request', (_req, res) => res.once('finish', () => void served++));
    // resolution 1 ms: the histogram's timer fires every millisecond, so a block of N ms is seen as a delay of ~N ms.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    process.on('message', (message: ToChild) => {
      if (message.type === 'snapshot') send({ type: 'snapshot', id: message.id, cpuMicros: cpuMicros(), upstreamCalls, served });
      else if (message.type === 'loop') {
        // Read on a later turn, so the histogram's own timer has recorded a block that just ended.
        setTimeout(() => {
          const maxMs = loop.count === 0 ? 0 : loop.max / 1e6;
          loop.reset();
          send({ type: 'loop', id: message.id, maxMs, cpuMicros: cpuMicros() });
        }, 3);
      } else if (message.type === 'stop') void app.stop().then(() => process.exit(0));
    });
    send({ type: 'ready', url: app.url });
    return;
  }
  if (role === 'attack') {
    const attack = startAttack(JSON.parse(args[0]!) as AttackOptions);
    process.on('message', (message: ToChild) => {
      if (message.type === 'finish') void attack.stop().then((counts) => send({ type: 'finish', id: message.id, counts }));
      else if (message.type === 'stop') process.exit(0);
    });
    send({ type: 'ready' });
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

/** Resolves once `done()` holds (polled every 2 ms), or after `limitMs`. */
async function untilIdle(done: () => boolean, limitMs: number): Promise<void> {
  const until = performance.now() + limitMs;
  while (!done() && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 2));
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send!({ type: 'error', message } satisfies FromChild, () => process.exit(1));
});
