import os from 'node:os';
import { Pool } from 'undici';
import { createDevIssuer } from '../src/demo/dev-issuer.js';
import type { TimedCall } from '../src/demo/http-service.js';
import type { PersonaName } from '../src/demo/personas.js';
import { sequentialWaves } from '../src/demo/timeline.js';
import { Child, compiledChildEntry } from './children.js';
import { fmt, log, machineInfo, markdownTable, writeResults } from './report.js';
import { ACME_ID, BENCH_MAX_PAGE_SIZE, BENCH_SCALE, FANOUT_QUERY, LIST_QUERY, USAGE_QUERY, VIEWER_QUERY } from './scenarios.js';
import { median, quantile } from './stats.js';
import { VARIANT_LABELS, type VariantName } from './variants.js';

/**
 * `npm run bench:latency` (issue 9): latency, not throughput. The demo upstreams add a fixed
 * delay to every call (20 ms, `--latency-ms=N`), requests are sent one at a time, V1 and V2
 * alternating request by request (the order swapping every pair) so machine noise hits both
 * alike, `--requests=N` (default 60) per scenario and variant after a warm-up. Per request,
 * the demo upstreams' own timestamps give the sequential upstream round trips ("waves") and
 * where the time went: before the first upstream call, between the first call and the last
 * answer, after the last answer. `--with-v3` adds stock shield; `--smoke` is the CI form
 * (a few requests, no thresholds). Prints a markdown table and PASS/MISS against the issue's
 * goals; raw figures in bench/results/<time>-latency.json. Exits 1 only when V1 and V2 answer
 * alice differently (or a run fails), never because of a timing.
 *
 * Processes: this one (client), one child with the three demo upstreams, one per variant.
 */

interface LatencyScenario {
  readonly id: string;
  readonly title: string;
  readonly persona: PersonaName;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** The p50 goal (V2/V1 <= 1.10) applies; not to S4, where V1 serves what V2 refuses. */
  readonly p50Goal: boolean;
}

// S2 with a page of 50 (not 500): at 500 invoices the request is ~200 ms of serialisation and
// execution on both variants, and a latency ratio would say little about round trips.
const SCENARIOS: readonly LatencyScenario[] = [
  { id: 'S1', title: 'S1 viewer', persona: 'alice', query: VIEWER_QUERY, variables: {}, p50Goal: true },
  { id: 'S2-50', title: 'S2 50 invoices', persona: 'alice', query: LIST_QUERY, variables: { id: ACME_ID, first: 50 }, p50Goal: true },
  {
    id: 'S3-10',
    title: 'S3 fan-out, 10 invoices',
    persona: 'alice',
    query: FANOUT_QUERY,
    variables: { id: ACME_ID, first: 10 },
    p50Goal: true,
  },
  {
    id: 'S4',
    title: 'S4 = S3-10 as bob (billing denied)',
    persona: 'bob',
    query: FANOUT_QUERY,
    variables: { id: ACME_ID, first: 10 },
    p50Goal: false,
  },
  { id: 'S5', title: 'S5 usage + forecast', persona: 'alice', query: USAGE_QUERY, variables: { id: ACME_ID }, p50Goal: true },
];

const P50_GOAL = 1.1;

/** One measured request. */
interface RequestRecord {
  readonly scenario: string;
  readonly variant: VariantName;
  readonly index: number;
  readonly ms: number;
  readonly status: number;
  readonly bytes: number;
  /** Same body as the variant's reference answer. */
  readonly same: boolean;
  readonly waves: number;
  readonly upstreamCalls: number;
  /** Request sent → first upstream call arrived (HTTP, token, parse, validation, cost, execution start). */
  readonly beforeMs: number;
  /** First upstream call arrived → last upstream answer sent (round trips and the work between them). */
  readonly spanMs: number;
  /** Last upstream answer sent → response read (resolvers after it, waiting for the identity, JSON, HTTP). */
  readonly afterMs: number;
  /** Calls still being answered when the timeline was read (none expected). */
  readonly unanswered: number;
}

/** One call of a sample request, placed in its wave and relative to when the request was sent. */
interface PlacedCall {
  readonly wave: number;
  readonly call: string;
  readonly startMs: number;
  readonly endMs: number;
}

interface Cell {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Waves of most requests, and how often each count was seen. */
  readonly waves: number;
  readonly wavesSeen: Record<string, number>;
  readonly upstreamCalls: number;
  readonly beforeMs: number;
  readonly spanMs: number;
  readonly afterMs: number;
  readonly sample: readonly PlacedCall[];
}

interface Goal {
  readonly name: string;
  readonly goal: string;
  readonly value: string;
  readonly pass: boolean;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const inline = argv.find((a) => a.startsWith(`--${name}=`));
    if (inline) return inline.slice(name.length + 3);
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const smoke = argv.includes('--smoke');
  const latencyMs = Number(option('latency-ms') ?? 20);
  const requests = Number(option('requests') ?? (smoke ? 4 : 60));
  const warmup = smoke ? 1 : 5;
  const variants: readonly VariantName[] = argv.includes('--with-v3') ? ['V1', 'V2', 'V3'] : ['V1', 'V2'];
  const only = option('only')?.split(',');
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS;
  if (!(latencyMs >= 0) || !(requests >= 1)) throw new Error('--latency-ms must be >= 0 and --requests >= 1');
  const started = Date.now();
  const machine = machineInfo();
  log(
    `bench latency${smoke ? ' (smoke)' : ''}: ${machine.nproc} cores, node ${machine.node}, load ${machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')}; scale ${BENCH_SCALE}, ${latencyMs} ms per upstream call, ${requests} requests per scenario and variant (+${warmup} warm-up), ${variants.join('/')} alternating`,
  );

  const issuer = await createDevIssuer({ keyFile: null });
  const jwksUrl = await issuer.listen(0);
  const children: Child[] = [];
  const pools: Pool[] = [];
  const problems: string[] = [];
  try {
    // Compiled JavaScript, as production runs (`--tsx`: from source).
    const own = argv.includes('--tsx') ? {} : { entry: compiledChildEntry() };
    const upstreams = new Child('upstreams', ['upstreams', String(BENCH_SCALE)], own);
    children.push(upstreams);
    const urls = JSON.stringify(((await upstreams.ready) as { urls: unknown }).urls);
    const servers = {} as Record<VariantName, Child>;
    for (const variant of variants) {
      servers[variant] = new Child(variant, ['server', variant, urls, jwksUrl, String(BENCH_MAX_PAGE_SIZE)], own);
      children.push(servers[variant]);
    }
    const send = {} as Record<VariantName, (body: string, authorization: string) => Promise<Answer>>;
    for (const variant of variants) {
      const url = new URL(((await servers[variant].ready) as { url: string }).url);
      // One keep-alive connection per variant: connection set-up is not what is measured.
      const pool = new Pool(url.origin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
      pools.push(pool);
      send[variant] = (body, authorization) => post(pool, url.pathname, body, authorization);
    }
    await upstreams.expect({ type: 'latency', ms: latencyMs }, 'ack');
    const timeline = () => upstreams.expect({ type: 'timeline' }, 'timeline');

    const tokens: Partial<Record<PersonaName, string>> = {};
    for (const persona of new Set(scenarios.map((s) => s.persona)))
      tokens[persona] = `Bearer ${await issuer.signPersona(persona, { ttlSeconds: 3 * 3600 })}`;

    const records: RequestRecord[] = [];
    const samples: Record<string, Partial<Record<VariantName, PlacedCall[]>>> = {};
    const references: Record<string, Partial<Record<VariantName, { status: number; bytes: number }>>> = {};
    for (const scenario of scenarios) {
      await servers.V1.expect({ type: 'principal', persona: scenario.persona }, 'ack');
      const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
      const authorization = tokens[scenario.persona]!;
      // Reference answers (the first warm-up request of each variant), compared for alice.
      const reference = {} as Record<VariantName, string>;
      const referenceStatus = {} as Record<VariantName, number>;
      for (let i = 0; i < warmup; i++) {
        for (const variant of variants) {
          const answer = await send[variant](body, authorization);
          if (i === 0) {
            reference[variant] = answer.text;
            referenceStatus[variant] = answer.status;
            if (answer.status !== 200) problems.push(`${scenario.id} ${variant}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
          }
        }
      }
      references[scenario.id] = Object.fromEntries(
        variants.map((v) => [v, { status: referenceStatus[v], bytes: Buffer.byteLength(reference[v]) }]),
      ) as Record<VariantName, { status: number; bytes: number }>;
      if (scenario.persona === 'alice' && reference.V1 !== reference.V2)
        problems.push(`${scenario.id}: V1 and V2 answer alice differently`);
      await timeline(); // forget the warm-up's calls

      samples[scenario.id] = {};
      for (let i = 0; i < requests; i++) {
        // Alternating, the order swapping every round: neither variant always goes first.
        const order = i % 2 === 0 ? variants : [...variants].reverse();
        for (const variant of order) {
          const answer = await send[variant](body, authorization);
          const taken = await timeline();
          const calls = taken.calls.map((c) => ({ ...c, start: c.start + taken.timeOrigin, end: c.end + taken.timeOrigin }));
          const firstStart = calls.length === 0 ? answer.receivedAt : Math.min(...calls.map((c) => c.start));
          const lastEnd = calls.length === 0 ? answer.sentAt : Math.max(...calls.map((c) => c.end));
          const record: RequestRecord = {
            scenario: scenario.id,
            variant,
            index: i,
            ms: answer.receivedAt - answer.sentAt,
            status: answer.status,
            bytes: Buffer.byteLength(answer.text),
            same: answer.text === reference[variant],
            waves: sequentialWaves(calls),
            upstreamCalls: calls.length,
            beforeMs: firstStart - answer.sentAt,
            spanMs: calls.length === 0 ? 0 : lastEnd - firstStart,
            afterMs: answer.receivedAt - lastEnd,
            unanswered: taken.unanswered,
          };
          records.push(record);
          if (!record.same && scenario.persona === 'alice')
            problems.push(`${scenario.id} ${variant} request ${i}: answer differs from the reference (${answer.text.slice(0, 200)})`);
          if (i === 0) samples[scenario.id]![variant] = placeCalls(calls, answer.sentAt);
        }
      }
      const line = variants
        .map((v) => {
          const mine = records.filter((r) => r.scenario === scenario.id && r.variant === v);
          return `${v} p50 ${fmt(median(mine.map((r) => r.ms)), 1)} ms, waves ${modeOf(mine.map((r) => r.waves))}`;
        })
        .join('; ');
      log(`  ${scenario.id.padEnd(6)} ${line}`);
    }
    await upstreams.expect({ type: 'latency', ms: 0 }, 'ack');

    const report = buildReport(scenarios, variants, records, samples, latencyMs, requests);
    process.stdout.write(`\n${report.text}\n`);
    for (const problem of problems) log(`RESPONSE MISMATCH ${problem}`);
    const finished = Date.now();
    const file = writeResults(started, 'latency', {
      options: { latencyMs, requests, warmup, variants, smoke, scale: BENCH_SCALE, maxPageSize: BENCH_MAX_PAGE_SIZE },
      machine: { ...machine, loadAverageAtEnd: os.loadavg() },
      startedAt: new Date(started).toISOString(),
      seconds: (finished - started) / 1000,
      scenarios,
      references,
      problems,
      summary: report.summary,
      goals: report.goals,
      samples,
      records,
    });
    log(`raw figures: ${file}`);
    log(`finished in ${fmt((finished - started) / 1000, 0)} s${problems.length > 0 ? ' — RESPONSES DIFFER, see above' : ''}`);
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    await Promise.all(children.map((child) => child.stop()));
    await issuer.close();
  }
  process.exitCode = problems.length > 0 ? 1 : 0;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  /** Wall-clock ms (performance.timeOrigin + now), comparable with the upstreams' timeline. */
  readonly sentAt: number;
  readonly receivedAt: number;
}

async function post(pool: Pool, path: string, body: string, authorization: string): Promise<Answer> {
  const sentAt = performance.timeOrigin + performance.now();
  const response = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  const text = await response.body.text();
  return { status: response.statusCode, text, sentAt, receivedAt: performance.timeOrigin + performance.now() };
}

/**
 * The calls of one request in start order, each with its wave: 1 + the deepest wave among the
 * calls that had been answered before it started (as `sequentialWaves` counts them).
 */
function placeCalls(calls: readonly TimedCall[], sentAt: number): PlacedCall[] {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const waves: number[] = [];
  return sorted.map((call, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= call.start) before = Math.max(before, waves[j]!);
    waves[i] = before + 1;
    return { wave: before + 1, call: `${call.service} ${call.operation}`, startMs: call.start - sentAt, endMs: call.end - sentAt };
  });
}

/** The value seen most often (the smallest of equally frequent ones). */
function modeOf(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [value, count] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function buildReport(
  scenarios: readonly LatencyScenario[],
  variants: readonly VariantName[],
  records: readonly RequestRecord[],
  samples: Record<string, Partial<Record<VariantName, PlacedCall[]>>>,
  latencyMs: number,
  requests: number,
) {
  const summary: Record<string, Partial<Record<VariantName, Cell>> & { p50RatioV2V1: number }> = {};
  for (const scenario of scenarios) {
    const cells: Partial<Record<VariantName, Cell>> = {};
    for (const variant of variants) {
      const mine = records.filter((r) => r.scenario === scenario.id && r.variant === variant);
      const sorted = Float64Array.from(mine.map((r) => r.ms)).sort();
      const wavesSeen: Record<string, number> = {};
      for (const r of mine) wavesSeen[r.waves] = (wavesSeen[r.waves] ?? 0) + 1;
      cells[variant] = {
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        meanMs: mine.reduce((sum, r) => sum + r.ms, 0) / mine.length,
        waves: modeOf(mine.map((r) => r.waves)),
        wavesSeen,
        upstreamCalls: modeOf(mine.map((r) => r.upstreamCalls)),
        beforeMs: median(mine.map((r) => r.beforeMs)),
        spanMs: median(mine.map((r) => r.spanMs)),
        afterMs: median(mine.map((r) => r.afterMs)),
        sample: samples[scenario.id]?.[variant] ?? [],
      };
    }
    summary[scenario.id] = { ...cells, p50RatioV2V1: cells.V2!.p50Ms / cells.V1!.p50Ms };
  }

  const goals: Goal[] = [];
  for (const scenario of scenarios.filter((s) => s.p50Goal)) {
    const ratio = summary[scenario.id]!.p50RatioV2V1;
    goals.push({ name: `${scenario.id}: p50 V2 / p50 V1`, goal: `<= ${fmt(P50_GOAL, 2)}`, value: fmt(ratio, 3), pass: ratio <= P50_GOAL });
  }
  for (const scenario of scenarios) {
    const { V1, V2 } = summary[scenario.id]!;
    // S4: V1 has no authorization and serves bob the invoices (and their fan-out) that V2
    // refuses him, so V2 can only make fewer round trips; equal would be the wrong goal.
    const atMost = scenario.p50Goal === false;
    goals.push({
      name: `${scenario.id}: sequential upstream waves, V2 vs V1`,
      goal: atMost ? 'V2 <= V1 (V1 serves what V2 refuses)' : 'V2 == V1',
      value: `${V2!.waves} vs ${V1!.waves}`,
      pass: atMost ? V2!.waves <= V1!.waves : V2!.waves === V1!.waves,
    });
  }

  const lines: string[] = [];
  lines.push(
    `Latency: ${latencyMs} ms added to every upstream call; ${requests} requests per scenario and variant, one at a time, variants alternating; p99 (nearest rank) of ${requests} requests is ${slowest(requests - Math.ceil(0.99 * requests) + 1)}.`,
  );
  lines.push(variants.map((v) => `${v} = ${VARIANT_LABELS[v]}`).join(', '));
  const each = (row: Record<string, unknown>, pick: (c: Cell) => number, digits: number) =>
    variants.map((v) => fmt(pick(row[v] as Cell), digits)).join(' / ');
  const names = variants.join('/');
  lines.push(
    ...markdownTable(
      [
        'scenario',
        `p50 ms ${names}`,
        'p50 V2/V1',
        `p99 ms ${names}`,
        `waves ${names}`,
        `upstream calls ${names}`,
        `before 1st call ms ${names}`,
        `1st call to last answer ms ${names}`,
        `after last answer ms ${names}`,
      ],
      scenarios.map((s) => {
        const row = summary[s.id]!;
        return [
          s.title,
          each(row, (c) => c.p50Ms, 1),
          fmt(row.p50RatioV2V1, 3),
          each(row, (c) => c.p99Ms, 1),
          variants.map((v) => `${row[v]!.waves}${Object.keys(row[v]!.wavesSeen).length > 1 ? '*' : ''}`).join(' / '),
          each(row, (c) => c.upstreamCalls, 0),
          each(row, (c) => c.beforeMs, 1),
          each(row, (c) => c.spanMs, 1),
          each(row, (c) => c.afterMs, 1),
        ];
      }),
    ),
  );
  lines.push(
    "waves: the count most requests had (* = not all requests had it; see wavesSeen in the JSON). before/span/after: medians, from the upstreams' own timestamps.",
  );
  lines.push('');
  lines.push('Upstream calls by wave, first measured request of each variant (ms after the request was sent):');
  for (const scenario of scenarios) {
    for (const variant of variants) {
      const sample = summary[scenario.id]![variant]!.sample;
      const byWave = new Map<number, PlacedCall[]>();
      for (const call of sample) byWave.set(call.wave, [...(byWave.get(call.wave) ?? []), call]);
      const waves = [...byWave]
        .map(([wave, calls]) => `w${wave}: ${calls.map((c) => `${c.call} @${fmt(c.startMs, 1)}-${fmt(c.endMs, 1)}`).join(', ')}`)
        .join(' | ');
      lines.push(`  ${scenario.id.padEnd(6)} ${variant}: ${waves || '(no upstream call)'}`);
    }
  }
  lines.push('');
  lines.push(
    ...markdownTable(
      ['goal (issue 9)', 'target', 'measured', 'result'],
      goals.map((g) => [g.name, g.goal, g.value, g.pass ? 'PASS' : 'MISS']),
    ),
  );
  lines.push('HTTP throughput V2/V1 >= 0.95 on S1-S3: measured by `npm run bench` (run.ts), not here.');
  return { text: lines.join('\n'), summary, goals };
}

/** "the slowest request", "the 2nd-slowest request", ... */
function slowest(rank: number): string {
  if (rank === 1) return 'the slowest request';
  const suffix = rank % 10 === 2 && rank % 100 !== 12 ? 'nd' : rank % 10 === 3 && rank % 100 !== 13 ? 'rd' : 'th';
  return `the ${rank}${suffix}-slowest request`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench latency failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
