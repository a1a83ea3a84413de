import { Pool } from 'undici';
import { quantile } from './stats.js';

/**
 * The noisy tenant of bench/noisy-neighbour.ts: `concurrency` workers, each sending the same
 * request again as soon as the previous answer arrived, whatever it was (a 429 included,
 * unless `honourRetryAfter`). It runs in its own process (child.ts `attack`) so draining
 * megabytes of responses does not delay the victim's and the probe's clocks in the
 * orchestrator. Bodies are drained, not parsed; a 200 whose size differs from the reference
 * answer is counted apart (e.g. an execution budget that stopped the request).
 */

/** What to send, and how. */
export interface AttackOptions {
  readonly url: string;
  readonly body: string;
  readonly authorization: string;
  readonly concurrency: number;
  /** Size of the complete answer (the search's reference response). */
  readonly expectedBytes: number;
  /** Wait what a 429's Retry-After says before the next request (default: no wait, a hostile loop). */
  readonly honourRetryAfter?: boolean;
}

/** What the attacker sent and got back. */
export interface AttackCounts {
  readonly seconds: number;
  readonly sent: number;
  /** HTTP 200 with the complete answer. */
  readonly answered: number;
  /** HTTP 200 of another size (the request was stopped, or answered with errors). */
  readonly answeredOther: number;
  /** HTTP 429 (fair share). */
  readonly limited: number;
  /** Any other status, or a transport error. */
  readonly failed: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly bytes: number;
  /** Latency of the complete answers. */
  readonly answeredP50Ms: number;
  readonly answeredP99Ms: number;
  /** The beginning of the first answer that was not complete, for diagnosis. */
  readonly firstOther?: string;
  /** CPU the attacking process itself used (it shares the machine with the server). */
  readonly clientCpuMs: number;
}

/** A running attack. */
export interface Attack {
  /** Stops the workers (each finishes its request in flight) and returns the counts. */
  stop(): Promise<AttackCounts>;
}

/** Starts the workers at once. */
export function startAttack(options: AttackOptions): Attack {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error(`attacker: refusing non-loopback target ${target.hostname}`);
  const pool = new Pool(target.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: options.authorization };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let answeredOther = 0;
  let limited = 0;
  let failed = 0;
  let bytes = 0;
  let firstOther: string | undefined;
  let running = true;
  const cpuStart = process.cpuUsage();
  const started = performance.now();

  const worker = async () => {
    while (running) {
      const start = performance.now();
      sent++;
      let status = 0;
      let size = 0;
      let retryAfterMs = 0;
      let head = '';
      try {
        const response = await pool.request({ path: target.pathname, method: 'POST', headers, body: options.body });
        status = response.statusCode;
        retryAfterMs = Number(response.headers['retry-after'] ?? 0) * 1000;
        for await (const chunk of response.body) {
          if (size < 300) head += (chunk as Buffer).toString('utf8', 0, Math.min((chunk as Buffer).length, 300));
          size += (chunk as Buffer).length;
        }
      } catch (error) {
        head = String(error);
      }
      bytes += size;
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      if (status === 200 && size === options.expectedBytes) {
        answered++;
        latencies.push(performance.now() - start);
      } else if (status === 200) {
        answeredOther++;
        firstOther ??= head.slice(0, 300);
      } else if (status === 429) {
        limited++;
        if (options.honourRetryAfter && running) await sleep(retryAfterMs);
      } else {
        failed++;
        firstOther ??= `HTTP ${status} ${head.slice(0, 300)}`;
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);

  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      const seconds = (performance.now() - started) / 1000;
      await pool.close();
      const cpu = process.cpuUsage(cpuStart);
      const sorted = Float64Array.from(latencies).sort();
      return {
        seconds,
        sent,
        answered,
        answeredOther,
        limited,
        failed,
        statuses,
        bytes,
        answeredP50Ms: quantile(sorted, 0.5),
        answeredP99Ms: quantile(sorted, 0.99),
        ...(firstOther === undefined ? {} : { firstOther }),
        clientCpuMs: (cpu.user + cpu.system) / 1000,
      };
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
