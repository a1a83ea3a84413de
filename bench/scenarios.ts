import { demoId } from '../src/demo/ids.js';
import type { PersonaName } from '../src/demo/personas.js';

/**
 * The benchmark's workloads. Each is one GraphQL request repeated by the load generator;
 * the world is the demo world at BENCH_SCALE (acme has 14 x scale invoices and 6 + 5 x
 * (scale - 1) users).
 */

/** Demo world scale of every benchmark run: acme has 700 invoices and 251 users. */
export const BENCH_SCALE = 50;
/** Server page-size limit for the benchmark: S2 asks for 500 invoices in one page. */
export const BENCH_MAX_PAGE_SIZE = 500;
/** Latency injected into every demo upstream call in the fan-out scenarios. */
export const FANOUT_LATENCY_MS = 2;
/** Distinct tokens of S1's second form. */
export const DISTINCT_TOKENS = 1000;

const ACME = demoId('customer', 'acme');

/** S1: who am I (identity lookup through the customer API, token verification). */
export const VIEWER_QUERY = `query S1 { viewer { user { name } customer { name } } }`;

/** S2: a large list, 10 fields per invoice. */
export const LIST_QUERY = `query S2($id: ID!, $first: Int!) {
  customer(id: $id) {
    invoices(first: $first) {
      edges { node { id number status issuedAt dueAt total { amount currency } customer { name } } }
    }
  }
}`;

/** S3: nested fan-out across billing, customers and licenses. */
export const FANOUT_QUERY = `query S3($id: ID!, $first: Int!) {
  customer(id: $id) {
    invoices(first: $first) {
      edges {
        node {
          id
          number
          customer { name licenses { id status product { name } } users { id name } }
        }
      }
    }
  }
}`;

/** S5: the customer's usage with its forecast, each gated by a license entitlement (usage-analytics, forecasting). */
export const USAGE_QUERY = `query S5($id: ID!) {
  customer(id: $id) {
    name
    usage { period activeUsers apiCalls storageGb forecast { period apiCalls confidence } }
  }
}`;

/** One benchmark workload. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly persona: PersonaName;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** `distinct`: every request carries one of DISTINCT_TOKENS different tokens, round robin. */
  readonly tokens: 'one' | 'distinct';
  /** Latency the demo upstreams add to every call during this scenario. */
  readonly latencyMs: number;
  /**
   * Load-generator concurrency, when not the run's default. The 100-invoice fan-out costs
   * seconds of CPU per request on stock shield: at 16 in flight no request would finish
   * inside a window; 4 still keeps one core busy on every variant.
   */
  readonly concurrency?: number;
}

/** Every scenario, in table order. */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'S1-1tok', title: 'S1 viewer, 1 token', persona: 'alice', query: VIEWER_QUERY, variables: {}, tokens: 'one', latencyMs: 0 },
  {
    id: 'S1-1000tok',
    title: `S1 viewer, ${DISTINCT_TOKENS} tokens`,
    persona: 'alice',
    query: VIEWER_QUERY,
    variables: {},
    tokens: 'distinct',
    latencyMs: 0,
  },
  {
    id: 'S2',
    title: 'S2 500 invoices x 10 fields',
    persona: 'alice',
    query: LIST_QUERY,
    variables: { id: ACME, first: 500 },
    tokens: 'one',
    latencyMs: 0,
  },
  {
    id: 'S3-10',
    title: `S3 fan-out, 10 invoices, ${FANOUT_LATENCY_MS} ms`,
    persona: 'alice',
    query: FANOUT_QUERY,
    variables: { id: ACME, first: 10 },
    tokens: 'one',
    latencyMs: FANOUT_LATENCY_MS,
  },
  {
    id: 'S3-100',
    title: `S3 fan-out, 100 invoices, ${FANOUT_LATENCY_MS} ms`,
    persona: 'alice',
    query: FANOUT_QUERY,
    variables: { id: ACME, first: 100 },
    tokens: 'one',
    latencyMs: FANOUT_LATENCY_MS,
    concurrency: 4,
  },
  {
    id: 'S4-S2',
    title: 'S4 = S2 as bob (billing denied)',
    persona: 'bob',
    query: LIST_QUERY,
    variables: { id: ACME, first: 500 },
    tokens: 'one',
    latencyMs: 0,
  },
  {
    id: 'S4-S3',
    title: 'S4 = S3-100 as bob (billing denied)',
    persona: 'bob',
    query: FANOUT_QUERY,
    variables: { id: ACME, first: 100 },
    tokens: 'one',
    latencyMs: FANOUT_LATENCY_MS,
    concurrency: 4,
  },
  {
    id: 'S5',
    title: 'S5 usage + forecast (entitlements)',
    persona: 'alice',
    query: USAGE_QUERY,
    variables: { id: ACME },
    tokens: 'one',
    latencyMs: 0,
  },
];

/** The acme customer id (stable across scales). */
export const ACME_ID = ACME;
