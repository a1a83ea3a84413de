import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevIssuer } from '../src/demo/dev-issuer.js';
import type { FromChild, ToChild } from './child.js';
import { postOnce, runLoad, type LoadResult } from './loadgen.js';
import { BENCH_MAX_PAGE_SIZE, BENCH_SCALE, SCENARIOS } from './scenarios.js';
import { median } from './stats.js';

/**
 * `npm run bench:tracing` — what observability costs the shipped server (V2) on S1 and S2:
 *   release   the previous release's V2 (`--baseline=<git ref>`, e.g. the commit before tracing
 *             existed: extracted with `git archive` into a temp dir, run with this checkout's
 *             node_modules), when given;
 *   off       this code as deployed by default: request ids, the request log line (at warn, a
 *             no-op), Prometheus metrics, tracing off;
 *   on        the same with every request traced (sample ratio 1) and spans exported over
 *             OTLP/HTTP to a sink in this process (which only counts them).
 * Same method as bench/run.ts: one upstream child, one child per variant, all started once;
 * rounds of every scenario on every variant in rotating order; ratios paired per round, medians
 * reported. Flags: --quick (3 rounds of 1 s), --rounds=N, --smoke (a few requests, checks
 * responses only). Results: stdout and bench/results/<time>-tracing.json.
 */

interface Mode {
  readonly rounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests: number;
}
const MODES: Record<'full' | 'quick' | 'smoke', Mode> = {
  full: { rounds: 8, warmupMs: 400, durationMs: 1500, maxRequests: 500_000 },
  quick: { rounds: 3, warmupMs: 300, durationMs: 1000, maxRequests: 200_000 },
  smoke: { rounds: 1, warmupMs: 50, durationMs: 200, maxRequests: 50 },
};
const CONCURRENCY = 8;
const SCENARIO_IDS = ['S1-1tok', 'S2'];

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = import.meta.resolve('tsx');

type Variant = 'release' | 'off' | 'on';
type Snapshot = Extract<FromChild, { type: 'snapshot' }>;

/** A forked child speaking bench/child.ts's protocol. */
class Proc {
  private nextId = 1;
  private readonly pending = new Map<number, (message: FromChild) => void>();
  readonly process: ChildProcess;
  readonly ready: Promise<FromChild>;

  constructor(label: string, script: string, args: string[], cwd: string) {
    this.process = fork(script, args, {
      cwd,
      execArgv: ['--import', TSX],
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.process.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
      this.process.on('message', (message: FromChild) => {
        if (message.type === 'ready') resolve(message);
        else if (message.type === 'error') reject(new Error(`${label}: ${message.message}`));
        else if ('id' in message) {
          this.pending.get(message.id)?.(message);
          this.pending.delete(message.id);
        }
      });
    });
  }

  ask(message: { type: 'snapshot' } | { type: 'latency'; ms: number }): Promise<FromChild> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.process.send({ ...message, id } as ToChild);
    });
  }

  async snapshot(): Promise<Snapshot> {
    return (await this.ask({ type: 'snapshot' })) as Snapshot;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.process.exitCode !== null) return resolve();
      this.process.once('exit', () => resolve());
      this.process.send({ type: 'stop' });
      setTimeout(() => this.process.kill('SIGKILL'), 5000).unref();
    });
  }
}

/** The previous release's source at `ref`, runnable with this checkout's node_modules. */
function extractRelease(ref: string): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'bff-release-'));
  execFileSync('sh', ['-c', `git archive --format=tar ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
  if (!existsSync(join(dir, 'bench', 'child.ts'))) throw new Error(`${ref} has no bench/child.ts`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** An OTLP/HTTP endpoint that accepts and counts export requests, nothing else. */
async function startSink(): Promise<{ url: string; stats: { requests: number; bytes: number }; close(): Promise<void> }> {
  const stats = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
    });
    req.on('end', () => {
      stats.requests++;
      res
        .writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' })
        .end(req.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Run extends LoadResult {
  readonly round: number;
  readonly scenario: string;
  readonly variant: Variant;
  readonly cpuMsPerRequest: number;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const modeName = argv.includes('--smoke') ? 'smoke' : argv.includes('--quick') ? 'quick' : 'full';
  const mode = { ...MODES[modeName], rounds: Number(option('rounds') ?? MODES[modeName].rounds) };
  const baseline = option('baseline');
  const started = new Date();
  const machine = { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, load: os.loadavg() };
  console.log(
    `bench:tracing (${modeName}): ${machine.nproc} cores, ${machine.cpu}, node ${machine.node}; ${mode.rounds} round(s) x ${mode.durationMs} ms, concurrency ${CONCURRENCY}`,
  );

  const issuer = await createDevIssuer({ keyFile: null });
  const jwksUrl = await issuer.listen(0);
  const sink = await startSink();
  const procs: Proc[] = [];
  let failed = false;
  try {
    const upstreams = new Proc('upstreams', join(HERE, 'child.ts'), ['upstreams', String(BENCH_SCALE)], ROOT);
    procs.push(upstreams);
    const urls = JSON.stringify(((await upstreams.ready) as { urls: unknown }).urls);
    const servers = new Map<Variant, Proc>();
    if (baseline !== undefined) {
      const dir = extractRelease(baseline);
      console.log(`release: ${baseline} extracted to ${dir}`);
      servers.set(
        'release',
        new Proc('release', join(dir, 'bench', 'child.ts'), ['server', 'V2', urls, jwksUrl, String(BENCH_MAX_PAGE_SIZE)], dir),
      );
    }
    servers.set('off', new Proc('off', join(HERE, 'tracing-child.ts'), ['off', urls, jwksUrl, String(BENCH_MAX_PAGE_SIZE)], ROOT));
    servers.set('on', new Proc('on', join(HERE, 'tracing-child.ts'), ['on', urls, jwksUrl, String(BENCH_MAX_PAGE_SIZE), sink.url], ROOT));
    procs.push(...servers.values());
    const serverUrls = new Map<Variant, string>();
    for (const [variant, proc] of servers) serverUrls.set(variant, ((await proc.ready) as { url: string }).url);
    const variants = [...servers.keys()];

    const scenarios = SCENARIOS.filter((s) => SCENARIO_IDS.includes(s.id));
    const authorization = `Bearer ${await issuer.signPersona('alice', { ttlSeconds: 3 * 3600 })}`;
    // Responses must be byte-identical across variants: observability changes nothing a client sees.
    const expected = new Map<string, number>();
    for (const scenario of scenarios) {
      await upstreams.ask({ type: 'latency', ms: scenario.latencyMs });
      const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
      const texts = new Map<Variant, string>();
      for (const variant of variants) {
        const { status, text } = await postOnce(serverUrls.get(variant)!, body, authorization);
        if (status !== 200) throw new Error(`${scenario.id} ${variant}: HTTP ${status} ${text.slice(0, 200)}`);
        texts.set(variant, text);
      }
      if (new Set(texts.values()).size !== 1) {
        failed = true;
        console.log(`RESPONSE MISMATCH ${scenario.id}: ${variants.map((v) => `${v} ${texts.get(v)!.length} bytes`).join(', ')}`);
      }
      expected.set(scenario.id, Buffer.byteLength(texts.get('off')!));
    }
    console.log(`responses: ${failed ? 'MISMATCH' : `identical on ${variants.join(', ')}`}`);

    const runs: Run[] = [];
    for (let round = 0; round < mode.rounds; round++) {
      for (const [index, scenario] of scenarios.entries()) {
        await upstreams.ask({ type: 'latency', ms: scenario.latencyMs });
        const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
        const order = variants.map((_, i) => variants[(i + round + index) % variants.length]!);
        for (const variant of order) {
          const proc = servers.get(variant)!;
          let before: Snapshot | undefined;
          let after: Snapshot | undefined;
          const result = await runLoad({
            url: serverUrls.get(variant)!,
            body,
            authorizations: [authorization],
            concurrency: CONCURRENCY,
            warmupMs: mode.warmupMs,
            durationMs: mode.durationMs,
            minRequests: CONCURRENCY,
            maxDurationMs: 30_000,
            maxRequests: mode.maxRequests,
            expectedBytes: expected.get(scenario.id)!,
            beforeMeasure: async () => {
              before = await proc.snapshot();
            },
            afterMeasure: async () => {
              after = await proc.snapshot();
            },
          });
          const cpuMsPerRequest = (after!.cpuMicros - before!.cpuMicros) / 1000 / Math.max(1, after!.served - before!.served);
          runs.push({ ...result, round, scenario: scenario.id, variant, cpuMsPerRequest });
          if (result.failures + result.sizeMismatches > 0) failed = true;
          console.log(
            `  r${round + 1} ${scenario.id.padEnd(8)} ${variant.padEnd(7)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(1)} ms  p99 ${result.p99Ms.toFixed(1)} ms  cpu ${cpuMsPerRequest.toFixed(2)} ms/req${result.failures + result.sizeMismatches > 0 ? `  FAILURES ${result.failures + result.sizeMismatches}` : ''}`,
          );
        }
      }
    }

    // Ratios paired per round, then the median over rounds.
    const table: Record<string, unknown>[] = [];
    console.log('\n| scenario | variant | req/s | p50 ms | p99 ms | CPU ms/req | req/s vs off | CPU vs off |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const scenario of scenarios) {
      const of = (variant: Variant) => runs.filter((r) => r.scenario === scenario.id && r.variant === variant);
      const paired = (variant: Variant, pick: (r: Run) => number) =>
        median(
          of(variant).flatMap((run) => {
            const off = of('off').find((r) => r.round === run.round);
            return off === undefined ? [] : [pick(run) / pick(off)];
          }),
        );
      for (const variant of variants) {
        const row = {
          scenario: scenario.id,
          variant,
          rps: median(of(variant).map((r) => r.rps)),
          p50Ms: median(of(variant).map((r) => r.p50Ms)),
          p99Ms: median(of(variant).map((r) => r.p99Ms)),
          cpuMsPerRequest: median(of(variant).map((r) => r.cpuMsPerRequest)),
          rpsVsOff: paired(variant, (r) => r.rps),
          cpuVsOff: paired(variant, (r) => r.cpuMsPerRequest),
        };
        table.push(row);
        console.log(
          `| ${scenario.title} | ${variant} | ${row.rps.toFixed(0)} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} | ${row.cpuMsPerRequest.toFixed(2)} | ${row.rpsVsOff.toFixed(3)} | ${row.cpuVsOff.toFixed(3)} |`,
        );
      }
    }
    console.log(`\nOTLP sink: ${sink.stats.requests} export requests, ${(sink.stats.bytes / 1e6).toFixed(1)} MB of spans`);
    const resultsDir = join(HERE, 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `${started.toISOString().replace(/[:.]/g, '-')}-tracing.json`);
    writeFileSync(file, JSON.stringify({ mode: modeName, baseline: baseline ?? null, machine, table, runs, sink: sink.stats }, null, 2));
    console.log(`raw results: ${file}`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await sink.close();
    await issuer.close();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
