import type { CallContext } from '../upstream/http.js';
import type { Upstreams } from '../upstream/index.js';
import type { Loaders } from '../upstream/loaders.js';
import type { User } from '../upstream/types.js';

/**
 * What resolvers read from a request, stated here so `resolvers/` never imports the layer
 * that assembles requests. Resolvers are thin: loaders in, fields out, no authorization.
 */
export interface ResolverContext {
  /** The verified token's facts the Viewer type shows. */
  readonly principal: { readonly subject: string; readonly clientId: string | null; readonly permissions: ReadonlySet<string> };
  /** The caller in business terms (looked up once per request). */
  readonly identity: {
    readonly isSupportStaff: boolean;
    resolve():
      | { readonly user: User | null; readonly customerId: string | null }
      | Promise<{ readonly user: User | null; readonly customerId: string | null }>;
    entitlements(customerId: string): ReadonlySet<string> | Promise<ReadonlySet<string>>;
  };
  readonly loaders: Loaders;
  /** For writes only; reads go through `loaders`. */
  readonly upstreams: Pick<Upstreams, 'licenses'>;
  /** What writes tell the upstream (request id, trace); absent outside the front door. */
  readonly upstreamCall?: CallContext;
  /** Largest page a connection returns (`first` is clamped to it). */
  readonly maxPageSize: number;
  /** Current time in ms, from the one clock (license status). */
  readonly now: () => number;
}
