import type { Identity } from './auth/identity.js';
import type { Principal } from './auth/principal.js';
import type { RuleCache } from './authz/engine.js';
import type { Logger } from './log.js';
import type { Upstreams } from './upstream/index.js';
import type { Loaders } from './upstream/loaders.js';

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
