import { Pool } from 'undici';
import { quantile } from './stats.js';

/**
 * A small, bounded HTTP load generator: a fixed number of workers on an undici Pool with one
 * keep-alive connection each, each sending one request at a time (closed loop, so concurrency
 * is exact). A warm-up phase is discarded; the measured window is bracketed by the caller's
 * hooks (used to snapshot the server's CPU time). Responses are drained, not parsed, to keep
 * the generator cheap: the 2 cores are shared with the server under test.
 */

/** One load run. */
export interface LoadOptions {
  /** Full URL of the GraphQL endpoint (loopback only). */
  readonly url: string;
  /** JSON request body. */
  readonly body: string;
  /** Authorization header values, used round robin (one entry = one token). */
  readonly authorizations: readonly string[];
  readonly concurrency: number;
  readonly warmupMs: number;
  /** Warm-up also lasts until this many responses arrived (e.g. one per distinct token). */
  readonly minWarmupRequests?: number;
  readonly durationMs: number;
  /** The window also stays open until this many responses arrived (slow variants)... */
  readonly minRequests?: number;
  /** ...but never longer than this. */
  readonly maxDurationMs?: number;
  /** Upper bound on measured requests (the run ends early when reached). */
  readonly maxRequests: number;
  /** Expected response size in bytes; a response of another size is counted as a mismatch. */
  readonly expectedBytes?: number;
  /** Called after warm-up, before the measured window opens. */
  readonly beforeMeasure?: () => Promise<void>;
  /** Called when the measured window closes, before the workers stop. */
  readonly afterMeasure?: () => Promise<void>;
}

/** What one load run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Non-200 answers and transport errors (over warm-up and window). */
  readonly failures: number;
  /** 200 answers whose size differed from `expectedBytes`. */
  readonly sizeMismatches: number;
  /** The first failed or differently sized answer (truncated), for diagnosis. */
  readonly firstMismatch?: string;
}

/** Sends one request and returns status and body; for reference responses and smoke checks. */
export async function postOnce(url: string, body: string, authorization: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  return { status: response.status, text: await response.text() };
}

/** Runs warm-up, then the measured window, with `concurrency` closed-loop workers. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error(`loadgen: refusing non-loopback target ${target.hostname}`);
  const pool = new Pool(target.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = options.authorizations.map((authorization) => ({ 'content-type': 'application/json', authorization }));
  const latencies = new Float64Array(options.maxRequests);
  let recorded = 0;
  let completed = 0;
  let firstMismatch: string | undefined;
  let failures = 0;
  let sizeMismatches = 0;
  let next = 0;
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';

  const worker = async () => {
    while (phase !== 'done') {
      const h = headers[next++ % headers.length]!;
      const start = performance.now();
      let ok = false;
      let bytes = 0;
      let chunks: Buffer[] | undefined = firstMismatch === undefined ? [] : undefined;
      try {
        const response = await pool.request({ path: target.pathname, method: 'POST', headers: h, body: options.body });
        for await (const chunk of response.body) {
          bytes += (chunk as Buffer).length;
          // Keep the beginning of the body while no mismatch has been seen, to report one.
          if (chunks !== undefined && bytes <= 4096) chunks.push(chunk as Buffer);
        }
        ok = response.statusCode === 200;
        if (!ok) chunks?.unshift(Buffer.from(`HTTP ${response.statusCode} `));
      } catch (error) {
        ok = false;
        chunks = [Buffer.from(String(error))];
      }
      const elapsed = performance.now() - start;
      completed++;
      const mismatch = ok && options.expectedBytes !== undefined && bytes !== options.expectedBytes;
      if (!ok) failures++;
      else if (mismatch) sizeMismatches++;
      if ((!ok || mismatch) && firstMismatch === undefined)
        firstMismatch = Buffer.concat(chunks ?? [])
          .toString('utf8')
          .slice(0, 2000);
      if (phase === 'measure' && recorded < latencies.length) {
        latencies[recorded++] = elapsed;
        if (recorded === latencies.length) windowFull();
      }
    }
  };

  let windowFull: () => void = () => {};
  const full = new Promise<void>((resolve) => (windowFull = resolve));
  const workers = Array.from({ length: options.concurrency }, worker);
  const warmupStart = performance.now();
  await sleep(options.warmupMs);
  const hardCap = options.maxDurationMs ?? options.durationMs;
  while (completed < (options.minWarmupRequests ?? 0) && performance.now() - warmupStart < hardCap) await sleep(10);
  await options.beforeMeasure?.();
  phase = 'measure';
  const windowStart = performance.now();
  await Promise.race([sleep(options.durationMs), full]);
  while (recorded < Math.min(options.minRequests ?? 0, latencies.length) && performance.now() - windowStart < hardCap) await sleep(10);
  // The window closes when the server has taken its snapshot, so requests and CPU time
  // cover the same span (give or take one IPC hop at each end).
  await options.afterMeasure?.();
  const windowEnd = performance.now();
  const requests = recorded;
  phase = 'done';
  await Promise.all(workers);
  await pool.close();

  const seconds = (windowEnd - windowStart) / 1000;
  const sorted = latencies.slice(0, requests).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    meanMs: requests === 0 ? Number.NaN : sum / requests,
    failures,
    sizeMismatches,
    ...(firstMismatch === undefined ? {} : { firstMismatch }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
