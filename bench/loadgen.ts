import { Pool } from 'undici';
import { quantile } from './stats.js';

/**
 * A small, bounded HTTP load generator: a fixed number of workers on an undici Pool with one
 * keep-alive connection each, each sending one request at a time (closed loop, so concurrency
 * is exact). A warm-up phase is discarded; the measured window is bracketed by the caller's
 * hooks (used to snapshot the server's CPU time). Responses are drained, not parsed, to keep
 * the generator cheap: the 2 cores are shared with the server under test.
 */

/** A server under load: where, and what a correct answer looks like. */
export interface Target {
  /** Full URL of the GraphQL endpoint (loopback only). */
  readonly url: string;
  /** Expected response size in bytes; a response of another size is counted as a mismatch. */
  readonly expectedBytes?: number;
}

/** What is sent, by how many closed-loop workers, after how much warm-up. */
export interface Workload {
  /** JSON request body. */
  readonly body: string;
  /** Authorization header values, used round robin (one entry = one token). */
  readonly authorizations: readonly string[];
  readonly concurrency: number;
  /** Warm-up (not measured), of each target. */
  readonly warmupMs: number;
  /** Warm-up also lasts until this many responses arrived (e.g. one per distinct token). */
  readonly minWarmupRequests?: number;
}

/** One load run. */
export interface LoadOptions extends Target, Workload {
  readonly durationMs: number;
  /** The window also stays open until this many responses arrived (slow variants)... */
  readonly minRequests?: number;
  /** ...but never longer than this. */
  readonly maxDurationMs?: number;
  /** Upper bound on measured requests (the run ends early when reached). */
  readonly maxRequests: number;
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
  const driver = new Driver(options, options);
  let completed = 0;
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let windowFull: () => void = () => {};
  const full = new Promise<void>((resolve) => (windowFull = resolve));
  const worker = async () => {
    while (phase !== 'done') {
      const elapsed = await driver.send();
      completed++;
      if (phase === 'measure' && driver.recorded < options.maxRequests) {
        driver.record(elapsed);
        if (driver.recorded === options.maxRequests) windowFull();
      }
    }
  };
  try {
    const workers = Array.from({ length: options.concurrency }, worker);
    const warmupStart = performance.now();
    await sleep(options.warmupMs);
    const hardCap = options.maxDurationMs ?? options.durationMs;
    while (completed < (options.minWarmupRequests ?? 0) && performance.now() - warmupStart < hardCap) await sleep(10);
    await options.beforeMeasure?.();
    phase = 'measure';
    const windowStart = performance.now();
    await Promise.race([sleep(options.durationMs), full]);
    const minRequests = Math.min(options.minRequests ?? 0, options.maxRequests);
    while (driver.recorded < minRequests && performance.now() - windowStart < hardCap) await sleep(10);
    // The window closes when the server has taken its snapshot, so requests and CPU time
    // cover the same span (give or take one IPC hop at each end).
    await options.afterMeasure?.();
    const windowMs = performance.now() - windowStart;
    phase = 'done';
    // In-flight answers are drained (their failures still count) but not recorded.
    await Promise.all(workers);
    return driver.result(windowMs);
  } finally {
    phase = 'done';
    await driver.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One server of an interleaved run. */
export interface InterleavedTarget extends Target {
  /** Called before each of this target's measured slices (e.g. to snapshot its CPU time)... */
  readonly beforeSlice?: () => Promise<void>;
  /** ...and after it, once its last request of the slice has been answered. */
  readonly afterSlice?: () => Promise<void>;
}

/** Several servers measured in alternating slices of one window (see runInterleaved). */
export interface InterleavedOptions extends Workload {
  readonly targets: readonly InterleavedTarget[];
  /** Measured time per target, over all its slices. */
  readonly durationMs: number;
  /** Length of one slice: the targets take turns this often. */
  readonly sliceMs: number;
  /** Each worker completes at least this many requests per slice (slow scenarios get longer slices). */
  readonly minRequestsPerWorker: number;
  /** No target is measured for longer than this, over all its slices. */
  readonly maxDurationMs: number;
}

/**
 * Measures several servers on the same workload in alternating slices (A B, B A, A B, ...)
 * instead of one window each: this machine's speed drifts by tens of percent over seconds
 * (CPU time per request of one server varies 0.6-1.0 ms between windows a few seconds apart),
 * so servers measured one after the other see different machines. Within a slice only one
 * target is under load. A slice stops sending at its end and closes when its last request is
 * answered: a server with requests queued is busy from the first arrival to the last answer, so
 * requests / (first send to last answer) is its throughput, with no ramp to correct for.
 * Returns one result per target, in `targets` order.
 */
export async function runInterleaved(options: InterleavedOptions): Promise<LoadResult[]> {
  const drivers = options.targets.map((target) => new Driver(target, options));
  try {
    for (const driver of drivers) {
      const start = performance.now();
      const minPerWorker = Math.ceil((options.minWarmupRequests ?? 0) / options.concurrency);
      await driver.burst(start + options.warmupMs, minPerWorker, start + options.maxDurationMs, false);
    }
    const measured = drivers.map(() => ({ ms: 0, requests: 0 }));
    for (let slice = 0; measured.some((m) => m.ms < options.durationMs); slice++) {
      for (let k = 0; k < drivers.length; k++) {
        // The order rotates every slice, so a drift over the window favours no target.
        const index = (k + slice) % drivers.length;
        const driver = drivers[index]!;
        const mine = measured[index]!;
        if (mine.ms >= options.durationMs || mine.ms >= options.maxDurationMs) continue;
        await driver.target.beforeSlice?.();
        const start = performance.now();
        const hardEnd = start + Math.max(options.sliceMs, options.maxDurationMs - mine.ms);
        mine.requests += await driver.burst(start + options.sliceMs, options.minRequestsPerWorker, hardEnd, true);
        mine.ms += performance.now() - start;
        await driver.target.afterSlice?.();
      }
    }
    return drivers.map((driver, index) => driver.result(measured[index]!.ms));
  } finally {
    await Promise.all(drivers.map((driver) => driver.close()));
  }
}

/** One target's connections and what its answers measured. */
class Driver {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: readonly Record<string, string>[];
  private readonly latencies: number[] = [];
  private next = 0;
  private failures = 0;
  private sizeMismatches = 0;
  private firstMismatch: string | undefined;

  constructor(
    readonly target: InterleavedTarget,
    private readonly options: Workload,
  ) {
    const url = new URL(target.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
      throw new Error(`loadgen: refusing non-loopback target ${url.hostname}`);
    this.pool = new Pool(url.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
    this.path = url.pathname;
    this.headers = options.authorizations.map((authorization) => ({ 'content-type': 'application/json', authorization }));
  }

  /**
   * `concurrency` closed-loop workers send until `until` (each at least `minPerWorker` times,
   * never past `hardEnd`); resolves with the number of answers once every worker is idle.
   */
  async burst(until: number, minPerWorker: number, hardEnd: number, record: boolean): Promise<number> {
    let answered = 0;
    const worker = async () => {
      let mine = 0;
      for (;;) {
        const now = performance.now();
        if (now >= hardEnd || (now >= until && mine >= minPerWorker)) return;
        const elapsed = await this.send();
        mine++;
        answered++;
        if (record) this.record(elapsed);
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
    return answered;
  }

  /** Answers recorded so far. */
  get recorded(): number {
    return this.latencies.length;
  }

  /** Records one answer's latency (ms) as measured. */
  record(elapsed: number): void {
    this.latencies.push(elapsed);
  }

  /** What the recorded answers measured, over `ms` of measured time. */
  result(ms: number): LoadResult {
    const sorted = Float64Array.from(this.latencies).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      requests: sorted.length,
      seconds: ms / 1000,
      rps: sorted.length / (ms / 1000),
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      meanMs: sorted.length === 0 ? Number.NaN : sum / sorted.length,
      failures: this.failures,
      sizeMismatches: this.sizeMismatches,
      ...(this.firstMismatch === undefined ? {} : { firstMismatch: this.firstMismatch }),
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** One request; its latency in ms. Failures and size mismatches are counted, the first kept. */
  async send(): Promise<number> {
    const h = this.headers[this.next++ % this.headers.length]!;
    const start = performance.now();
    let ok = false;
    let bytes = 0;
    let chunks: Buffer[] | undefined = this.firstMismatch === undefined ? [] : undefined;
    try {
      const response = await this.pool.request({ path: this.path, method: 'POST', headers: h, body: this.options.body });
      for await (const chunk of response.body) {
        bytes += (chunk as Buffer).length;
        if (chunks !== undefined && bytes <= 4096) chunks.push(chunk as Buffer);
      }
      ok = response.statusCode === 200;
      if (!ok) chunks?.unshift(Buffer.from(`HTTP ${response.statusCode} `));
    } catch (error) {
      chunks = [Buffer.from(String(error))];
    }
    const elapsed = performance.now() - start;
    const mismatch = ok && this.target.expectedBytes !== undefined && bytes !== this.target.expectedBytes;
    if (!ok) this.failures++;
    else if (mismatch) this.sizeMismatches++;
    if ((!ok || mismatch) && this.firstMismatch === undefined)
      this.firstMismatch = Buffer.concat(chunks ?? [])
        .toString('utf8')
        .slice(0, 2000);
    return elapsed;
  }
}
