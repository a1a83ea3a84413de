import type { IncomingMessage, Server } from 'node:http';
import { principalFromClaims, type Principal } from '../src/auth/principal.js';
import { authenticate } from '../src/auth/authenticate.js';
import { createTokenVerifier, type TokenVerifier, type VerifierSettings } from '../src/auth/verifier.js';
import { type Clock, systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { policy } from '../src/authz/policy.js';
import { createRequestContext, type RequestContext } from '../src/context.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../src/demo/dev-issuer.js';
import { PERSONAS, type PersonaName } from '../src/demo/personas.js';
import type { Logger } from '../src/log.js';
import { type RequestTelemetry, type Telemetry, telemetryOf } from '../src/observability/request.js';
import { createSchema } from '../src/schema.js';
import type { ExecutionWorker } from '../src/execution/executor.js';
import { Admission } from '../src/limits/admission.js';
import { createMemoryLimitStore } from '../src/limits/limit-store.js';
import { createBff, createGraphQLServer } from '../src/server.js';
import type { Upstreams } from '../src/upstream/index.js';
import { createStockSchema } from './stock-shield.js';

/**
 * The three servers the benchmark compares, all on the same resolvers, loaders and upstreams:
 * - V1 `limit`: `createSchema()` with no authentication and no authorization. The context uses
 *   a fixed principal (no token is read or verified) and builds no authorization state.
 * - V2 `lean`: the product as shipped, `createBff`.
 * - V3 `stock`: the same rules through stock `shield()` (ownership on the type), with the
 *   product's token verification and context.
 * V1 and V3 mirror createBff's Apollo settings (production mode) and its fair sharing per caller
 * (`callerFairShare`), so only authentication and authorization differ.
 */

/** Variant ids, in table order. */
export const VARIANTS = ['V1', 'V2', 'V3'] as const;
/** One of the compared servers. */
export type VariantName = (typeof VARIANTS)[number];

/** What the variants label themselves as in tables. */
export const VARIANT_LABELS: Readonly<Record<VariantName, string>> = {
  V1: 'V1 no authn/authz (limit)',
  V2: 'V2 shipped (lean)',
  V3: 'V3 stock shield',
};

/** Shared by every variant of one run. */
export interface VariantDeps {
  readonly verifier: TokenVerifier;
  readonly upstreams: Upstreams;
  readonly log: Logger;
  readonly maxPageSize: number;
  readonly clock?: Clock;
  /** V2 only: metrics and tracing as `startApp` wires them (bench/tracing.ts compares them). */
  readonly telemetry?: Telemetry;
  /** V2 only: where large queries execute, as `startApp` wires it (`EXECUTION_WORKER`, on by default). */
  readonly executor?: ExecutionWorker;
}

/** A variant's server, not listening yet. */
export interface VariantServer {
  readonly name: VariantName;
  readonly httpServer: Server;
  /** V1 only: the principal every request runs as (V2 and V3 verify the bearer token). */
  setPrincipal(principal: Principal): void;
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
// The product's defaults, except the per-caller bounds and the list-item budget: the
// benchmark is one caller sending as fast as the server answers, and measures throughput,
// not the rate limiter's refusals (its checks still run on every request).
const BENCH_ENV: Record<string, string> = {
  RATE_LIMIT_CALLER_CONCURRENCY: '10000',
  RATE_LIMIT_CUSTOMER_CONCURRENCY: '100000',
  RATE_LIMIT_CALLER_PER_SECOND: '100000',
  RATE_LIMIT_CALLER_BURST: '100000',
  RATE_LIMIT_CALLER_OBJECTS_PER_SECOND: '100000000',
  RATE_LIMIT_CALLER_OBJECTS_BURST: '1000000000',
  RATE_LIMIT_CUSTOMER_OBJECTS_PER_SECOND: '100000000',
  RATE_LIMIT_CUSTOMER_OBJECTS_BURST: '1000000000',
  // S3-100 puts 25,100 users in one response (100 invoices, each with its customer's 251):
  // over the default budget of 20,000 list items, which would end it with RESPONSE_TOO_LARGE
  // and measure an abandoned request. Raised so every scenario completes (the budget's
  // checks still run on every list).
  EXECUTION_MAX_LIST_ITEMS: '1000000',
};
// The execution limits of every variant's context, read once (not per request).
const EXECUTION = loadConfig(BENCH_ENV).execution;

/** The execution limits every variant runs with (the worker of V2 too). */
export function benchExecutionLimits() {
  return EXECUTION;
}
const BODY_LIMIT = 100 * 1024;

/** The verifier configuration of the product's defaults (config.ts), for the dev issuer. */
export function benchVerifier(jwksUrl: string, overrides: Partial<VerifierSettings> = {}, clock?: Clock) {
  return createTokenVerifier({ ...loadConfig({}).auth, ...overrides }, [{ issuer: DEV_ISSUER, audiences: [DEV_AUDIENCE], jwksUrl }], {
    ...(clock ? { clock } : {}),
  });
}

/** The principal the verifier derives from a dev-issuer token of `persona` (V1 skips the token). */
export function personaPrincipal(persona: PersonaName, expiresAt = Math.floor(Date.now() / 1000) + 3600): Principal {
  const p = PERSONAS[persona];
  return principalFromClaims(
    { iss: DEV_ISSUER, sub: p.subject, azp: p.clientId, scope: 'openid profile email', permissions: [...p.permissions], exp: expiresAt },
    loadConfig({}).auth.claims,
  );
}

/** Builds one variant's server over `deps`. */
export function createVariant(name: VariantName, deps: VariantDeps): VariantServer {
  const defaults = loadConfig(BENCH_ENV);
  const config = {
    ...defaults,
    production: true,
    graphqlPath: GRAPHQL_PATH,
    bodyLimitBytes: BODY_LIMIT,
    corsOrigins: [],
    maxPageSize: deps.maxPageSize,
  };
  const clock = deps.clock ?? systemClock;
  let principal = personaPrincipal('alice');
  const fair = callerFairShare(new Admission(createMemoryLimitStore({ clock }), config.fairShare));
  const bff =
    name === 'V2'
      ? createBff({
          config,
          limitStore: createMemoryLimitStore({ clock }),
          verifier: deps.verifier,
          upstreams: deps.upstreams,
          log: deps.log,
          clock,
          ...(deps.telemetry ? { telemetry: deps.telemetry } : {}),
          ...(deps.executor ? { executor: deps.executor } : {}),
        })
      : name === 'V1'
        ? createGraphQLServer({
            config,
            schema: createSchema(),
            context: (req: IncomingMessage) =>
              fair.enter(principal, () => plainContext(principal, deps.upstreams, deps.log, deps.maxPageSize, clock, telemetryOf(req))),
            admitEstimate: fair.admitEstimate,
            log: deps.log,
          })
        : // V3: the product's authentication and context; shield adds its own `_shield` cache.
          createGraphQLServer({
            config,
            schema: createStockSchema(policy),
            context: async (req: IncomingMessage) => {
              const verified = await authenticate(deps.verifier, req);
              return fair.enter(verified, () => leanContext(verified, deps.upstreams, deps.log, deps.maxPageSize, clock, telemetryOf(req)));
            },
            admitEstimate: fair.admitEstimate,
            log: deps.log,
          });
  const setPrincipal = (next: Principal) => {
    principal = next;
  };
  return {
    name,
    httpServer: bff.httpServer,
    setPrincipal,
    listen: (port, host) => bff.listen(port, host),
    stop: () => bff.stop(),
  };
}

/**
 * Issue 8's fair sharing per caller as `createBff` applies it (the caller's request rate, a
 * concurrency slot, the estimate spent from the caller's work bucket), for V1 and V3: it is not
 * authorization, and what it costs is measured on its own, against the unchecked build
 * (BENCHMARKS.md). The per-customer bounds need the caller's customer, which only the identity
 * lookup of authorization gives: they stay in V2 alone.
 */
function callerFairShare(admission: Admission) {
  return {
    async enter(principal: Principal, build: () => RequestContext): Promise<RequestContext> {
      const refused = await admission.takeCallerRate(principal.subject);
      if (refused !== null) throw refused;
      return admission.enterCaller(principal.subject, build);
    },
    admitEstimate: (estimate: { readonly objects: number }, ctx: RequestContext) =>
      admission.chargeCallerWork(ctx.principal.subject, estimate.objects),
  };
}

/**
 * The product's request context (createBff's builder): V2 in process, and V3's context. Over
 * HTTP it gets the request's telemetry as createBff's does (the request id on every upstream
 * call and log line: always on in the product, and not authorization).
 */
export function leanContext(
  principal: Principal,
  upstreams: Upstreams,
  log: Logger,
  maxPageSize: number,
  clock: Clock = systemClock,
  telemetry?: RequestTelemetry,
): RequestContext {
  return createRequestContext(principal, { upstreams, log, maxPageSize, clock, execution: EXECUTION }, telemetry);
}

/** V1's context: the same builder; createSchema() has no rules, so its authorization state is never read. */
export function plainContext(
  principal: Principal,
  upstreams: Upstreams,
  log: Logger,
  maxPageSize: number,
  clock: Clock = systemClock,
  telemetry?: RequestTelemetry,
): RequestContext {
  return leanContext(principal, upstreams, log, maxPageSize, clock, telemetry);
}
