import { backendIdentity, Identity } from './auth/identity.js';
import type { Principal } from './auth/principal.js';
import type { Speculation } from './authz/apply.js';
import { type AuthzContext, createRuleCache } from './authz/context.js';
import type { CrossRequestCache } from './cache/cross-request.js';
import type { Clock } from './clock.js';
import { type BudgetContext, ExecutionBudget, type ExecutionLimits } from './limits/budget.js';
import { type Logger, withFields } from './log.js';
import type { RequestTelemetry } from './observability/request.js';
import { RequestLog } from './request-log.js';
import type { ResolverContext } from './resolvers/context.js';
import type { Upstreams } from './upstream/index.js';
import { createLoaders, type Loaders, recordingLoaders } from './upstream/loaders.js';

/**
 * The per-request context: it only assembles. Authorization and resolvers each declare what
 * they read (`AuthzContext`, `ResolverContext`); this object satisfies both. Built after the
 * token is verified: a request without a valid token never gets a context (HTTP 401).
 */
export interface RequestContext extends AuthzContext, ResolverContext, BudgetContext {
  readonly principal: Principal;
  readonly identity: Identity;
  readonly loaders: Loaders;
  readonly upstreams: Upstreams;
  readonly log: Logger;
  /** Per-field events of this request, written as summary lines when it ends. */
  readonly requestLog: RequestLog;
  /** What must happen when the request ends, whatever way it ends. */
  readonly scope: RequestScope;
  /** A view for reads that run before their rule decided (see `Speculation`). */
  speculate(): Speculation;
  /** Request id, trace and log facts of this request (absent when built outside the front door: benchmarks, unit tests). */
  readonly telemetry?: RequestTelemetry;
}

/** Cleanup that runs exactly once when a request ends (fair-share releases, timers). */
export class RequestScope {
  private readonly cleanups: (() => void)[] = [];
  private ended = false;

  /** Runs `cleanup` when the request ends, or now if it already has. */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** The request is over: runs every cleanup once. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

/** What a request context is built from, besides the verified principal. */
export interface ContextDependencies {
  readonly upstreams: Upstreams;
  readonly log: Logger;
  readonly maxPageSize: number;
  readonly clock: Clock;
  readonly execution: ExecutionLimits;
  /** Records authorization reads across requests (off unless configured). */
  readonly cache?: CrossRequestCache;
  /** The caller's identity from elsewhere (the execution worker asks the main thread's); absent: looked up here. */
  readonly identity?: (principal: Principal) => Identity;
}

/** The request as upstream calls and log lines name it: its id, and the headers every upstream call carries. */
export interface RequestOrigin {
  readonly requestId: string;
  readonly upstreamHeaders: Readonly<Record<string, string>>;
}

/**
 * Builds the context of one request: fresh loaders, identity and rule cache. With `telemetry`
 * every upstream call carries the request id (and trace), and every log line of the request
 * its request id.
 */
export function createRequestContext(
  principal: Principal,
  deps: ContextDependencies,
  telemetry?: RequestTelemetry,
  origin: RequestOrigin | undefined = telemetry,
): RequestContext {
  const budget = new ExecutionBudget(deps.execution, deps.clock);
  const scope = new RequestScope();
  scope.onEnd(() => budget.end());
  const upstreamCall = origin === undefined ? undefined : { headers: origin.upstreamHeaders, trace: telemetry };
  const loaders = createLoaders(deps.upstreams, { signal: budget.signal, ...upstreamCall });
  const log = origin === undefined ? deps.log : withFields(deps.log, { requestId: origin.requestId });
  const requestLog = new RequestLog(log);
  const now = () => deps.clock.now();
  if (telemetry !== undefined) {
    telemetry.subject = principal.subject;
    telemetry.clientId = principal.clientId;
  }
  const ctx: RequestContext = {
    principal,
    identity: deps.identity?.(principal) ?? new Identity(principal, backendIdentity(principal, loaders, now, log, deps.cache)),
    loaders,
    upstreams: deps.upstreams,
    authz: createRuleCache((rule, error) => requestLog.ruleFailed(rule, error)),
    log,
    maxPageSize: deps.maxPageSize,
    now,
    budget,
    requestLog,
    scope,
    speculate: () => {
      const recording = recordingLoaders(loaders);
      return { context: { ...ctx, loaders: recording.loaders }, discard: recording.forget };
    },
    ...(telemetry === undefined ? {} : { telemetry }),
    ...(upstreamCall === undefined ? {} : { upstreamCall }),
  };
  return ctx;
}
