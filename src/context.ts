import { Identity } from './auth/identity.js';
import type { Principal } from './auth/principal.js';
import { RuleCache } from './authz/engine.js';
import { UpstreamUnavailableError } from './errors.js';
import type { Logger } from './log.js';
import type { Upstreams } from './upstream/index.js';
import { createLoaders, type Loaders } from './upstream/loaders.js';

/**
 * Everything a resolver or rule may use for one request. Built after the token is
 * verified; a request without a valid token never gets a context (HTTP 401).
 */
export interface RequestContext {
  readonly principal: Principal;
  readonly identity: Identity;
  readonly loaders: Loaders;
  /** For writes only; reads go through `loaders`. */
  readonly upstreams: Upstreams;
  /** Per-request memo of authorization rule results. */
  readonly authz: RuleCache;
  readonly log: Logger;
  readonly maxPageSize: number;
  /** Current time in ms; one clock for license validity checks and resolvers. */
  readonly now: () => number;
}

/** What a request context is built from, besides the verified principal. */
export interface ContextDependencies {
  readonly upstreams: Upstreams;
  readonly log: Logger;
  readonly maxPageSize: number;
  readonly now: () => number;
}

/** Builds the context of one request: fresh loaders, identity and rule cache. */
export function createRequestContext(principal: Principal, deps: ContextDependencies): RequestContext {
  const loaders = createLoaders(deps.upstreams);
  return {
    principal,
    identity: new Identity(principal, loaders, deps.now),
    loaders,
    upstreams: deps.upstreams,
    authz: createRuleCache(deps.log),
    log: deps.log,
    maxPageSize: deps.maxPageSize,
    now: deps.now,
  };
}

/** The per-request rule cache: a rule that fails denies; an upstream outage says so, anything else is FORBIDDEN. */
export function createRuleCache(log: Logger): RuleCache {
  return new RuleCache(
    (rule, error) => log.warn('authz.rule_failed', { rule, error: error instanceof Error ? error.message : String(error) }),
    (error) => (error instanceof UpstreamUnavailableError ? error : false),
  );
}
