import { Identity } from './auth/identity.js';
import type { Principal } from './auth/principal.js';
import { type AuthzContext, createRuleCache } from './authz/context.js';
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import type { ResolverContext } from './resolvers/context.js';
import type { Upstreams } from './upstream/index.js';
import { createLoaders, type Loaders } from './upstream/loaders.js';

/**
 * The per-request context: it only assembles. Authorization and resolvers each declare what
 * they read (`AuthzContext`, `ResolverContext`); this object satisfies both. Built after the
 * token is verified: a request without a valid token never gets a context (HTTP 401).
 */
export interface RequestContext extends AuthzContext, ResolverContext {
  readonly principal: Principal;
  readonly identity: Identity;
  readonly loaders: Loaders;
  readonly upstreams: Upstreams;
  readonly log: Logger;
}

/** What a request context is built from, besides the verified principal. */
export interface ContextDependencies {
  readonly upstreams: Upstreams;
  readonly log: Logger;
  readonly maxPageSize: number;
  readonly clock: Clock;
}

/** Builds the context of one request: fresh loaders, identity and rule cache. */
export function createRequestContext(principal: Principal, deps: ContextDependencies): RequestContext {
  const loaders = createLoaders(deps.upstreams);
  const now = () => deps.clock.now();
  return {
    principal,
    identity: new Identity(principal, loaders, now, deps.log),
    loaders,
    upstreams: deps.upstreams,
    authz: createRuleCache(deps.log),
    log: deps.log,
    maxPageSize: deps.maxPageSize,
    now,
  };
}
