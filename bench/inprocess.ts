import { execute, parse, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { policy } from '../src/authz/policy.js';
import { seedWorld } from '../src/demo/world.js';
import { createLogger } from '../src/log.js';
import { createAuthorizedSchema, createSchema } from '../src/schema.js';
import { createMemoryUpstreams } from './memory-upstreams.js';
import { ACME_ID, BENCH_MAX_PAGE_SIZE, BENCH_SCALE, FANOUT_QUERY, LIST_QUERY } from './scenarios.js';
import { median } from './stats.js';
import { createStockSchema } from './stock-shield.js';
import { leanContext, personaPrincipal, plainContext, VARIANTS, type VariantName } from './variants.js';

/**
 * Execution alone: `graphql.execute` of a query on each variant's schema, no HTTP, no token,
 * no JSON. Upstreams answer from memory, so the difference between V1 and V2 is the cost of
 * authorization (rules, visibility, and the identity lookup they need). S2 is the target;
 * S3 with 100 invoices (25,100 users through User visibility) is reported alongside.
 *
 * Interleaving: a round is a block of executions of V1 and a block of V2, the order
 * alternating between rounds; the round's ratio is mean(V2) / mean(V1) and the median over
 * rounds is reported, so drift and bursts from other processes hit both alike. V3 is
 * measured the same way against V1 in separate rounds: its garbage would otherwise be
 * collected on V1's and V2's clock.
 */

/** How often to measure. */
export interface InProcessOptions {
  /** V1 vs V2 rounds, and executions per variant per round. */
  readonly rounds: number;
  readonly block: number;
  /** V1 vs V3 rounds (V3 is 5-20x slower), and executions per variant per round. */
  readonly stockRounds: number;
  readonly stockBlock: number;
  readonly warmupRounds: number;
  /** Queries to run (default: all). */
  readonly queries?: readonly string[];
}

/** Figures for one query. */
export interface InProcessQueryResult {
  readonly query: string;
  /** Median CPU time per execution, in milliseconds. */
  readonly msPerExecution: Record<VariantName, number>;
  /** Median over rounds of V2/V1 and V3/V1 of the same round. */
  readonly ratioV2V1: number;
  readonly ratioV3V1: number;
  /** Mean CPU time per execution of every block, for the JSON (V1 from the V1/V2 rounds). */
  readonly samples: Record<VariantName, number[]>;
  /** V1 and V2 gave the same result (data and errors). */
  readonly identical: boolean;
}

/** The in-process benchmark: S2 (the target) and S3-100. */
export interface InProcessResult {
  readonly options: InProcessOptions;
  readonly queries: InProcessQueryResult[];
}

// `share`: fraction of the configured rounds a query gets (S3-100 costs 5x S2 per execution).
const QUERIES: readonly { id: string; document: DocumentNode; variables: Record<string, unknown>; expect: number; share: number }[] = [
  { id: 'S2', document: parse(LIST_QUERY), variables: { id: ACME_ID, first: 500 }, expect: 500, share: 1 },
  { id: 'S3-100', document: parse(FANOUT_QUERY), variables: { id: ACME_ID, first: 100 }, expect: 100, share: 1 / 3 },
];

/** Runs the in-process benchmark for every query, variants interleaved execution by execution. */
export async function runInProcess(options: InProcessOptions): Promise<InProcessResult> {
  const world = seedWorld({ scale: BENCH_SCALE });
  const upstreams = createMemoryUpstreams(world);
  const log = createLogger('silent');
  const schemas: Record<VariantName, GraphQLSchema> = { V1: createSchema(), V2: createAuthorizedSchema(), V3: createStockSchema(policy) };
  const principal = personaPrincipal('alice');
  const queries: InProcessQueryResult[] = [];

  for (const query of QUERIES.filter((q) => options.queries === undefined || options.queries.includes(q.id))) {
    const run = (variant: VariantName) => {
      const contextValue =
        variant === 'V1'
          ? plainContext(principal, upstreams, log, BENCH_MAX_PAGE_SIZE)
          : leanContext(principal, upstreams, log, BENCH_MAX_PAGE_SIZE);
      return execute({
        schema: schemas[variant],
        document: query.document,
        contextValue,
        variableValues: query.variables,
      }) as Promise<ExecutionResult>;
    };
    const first = await Promise.all(VARIANTS.map((variant) => run(variant)));
    const edges = (result: ExecutionResult | undefined) =>
      (result?.data as { customer?: { invoices?: { edges?: unknown[] } } } | undefined)?.customer?.invoices?.edges?.length;
    for (const [index, result] of first.entries()) {
      if (edges(result) !== query.expect)
        throw new Error(
          `in-process ${query.id} ${VARIANTS[index]}: expected ${query.expect} invoices, got ${edges(result)} (${JSON.stringify(result.errors)})`,
        );
    }
    const identical = JSON.stringify(first[0]) === JSON.stringify(first[1]);

    // CPU time of this process (user + system, GC threads included), not wall time: the
    // machine is shared, and time spent descheduled is nobody's cost.
    const block = async (variant: VariantName, count: number) => {
      const start = process.cpuUsage();
      for (let i = 0; i < count; i++) await run(variant);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000 / count;
    };
    const pairs = async (other: 'V2' | 'V3', rounds: number, count: number) => {
      const base: number[] = [];
      const mine: number[] = [];
      for (let round = -options.warmupRounds; round < rounds; round++) {
        const [a, b] = round % 2 === 0 ? (['V1', other] as const) : ([other, 'V1'] as const);
        const first = await block(a, count);
        const second = await block(b, count);
        if (round < 0) continue;
        base.push(a === 'V1' ? first : second);
        mine.push(a === 'V1' ? second : first);
      }
      return { base, mine };
    };
    const lean = await pairs('V2', Math.max(1, Math.round(options.rounds * query.share)), options.block);
    const stock = await pairs('V3', Math.max(1, Math.round(options.stockRounds * query.share)), options.stockBlock);
    queries.push({
      query: query.id,
      msPerExecution: { V1: median(lean.base), V2: median(lean.mine), V3: median(stock.mine) },
      ratioV2V1: median(lean.mine.map((v2, i) => v2 / lean.base[i]!)),
      ratioV3V1: median(stock.mine.map((v3, i) => v3 / stock.base[i]!)),
      samples: { V1: lean.base, V2: lean.mine, V3: stock.mine },
      identical,
    });
  }
  return { options, queries };
}
