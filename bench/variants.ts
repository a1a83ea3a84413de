import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { readBearer } from '../src/auth/bearer.js';
import { Identity } from '../src/auth/identity.js';
import { principalFromClaims, type Principal } from '../src/auth/principal.js';
import { createTokenVerifier, type TokenVerifier } from '../src/auth/verifier.js';
import { policy } from '../src/authz/policy.js';
import { createRequestContext, type RequestContext } from '../src/context.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../src/demo/dev-issuer.js';
import { PERSONAS, type PersonaName } from '../src/demo/personas.js';
import { ErrorCode, isKnownErrorCode, UnauthenticatedError } from '../src/errors.js';
import { createHttpServer } from '../src/http.js';
import { DEFAULT_QUERY_LIMITS, queryProtection } from '../src/limits.js';
import type { Logger } from '../src/log.js';
import { createSchema } from '../src/schema.js';
import { createBff } from '../src/server.js';
import type { Upstreams } from '../src/upstream/index.js';
import { createLoaders } from '../src/upstream/loaders.js';
import { createStockSchema } from './stock-shield.js';

/**
 * The three servers the benchmark compares, all on the same resolvers, loaders and upstreams:
 * - V1 `limit`: `createSchema()` with no authentication and no authorization. The context uses
 *   a fixed principal (no token is read or verified) and builds no authorization state.
 * - V2 `lean`: the product as shipped, `createBff`.
 * - V3 `stock`: the same rules through stock `shield()` (ownership on the type), with the
 *   product's token verification and context.
 * V1 and V3 mirror createBff's Apollo settings (production mode) so only authorization differs.
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
  readonly now?: () => number;
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
const BODY_LIMIT = 100 * 1024;

/** The verifier configuration of the product's defaults (config.ts), for the dev issuer. */
export function benchVerifier(jwksUrl: string): TokenVerifier {
  return createTokenVerifier({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    jwksUrl,
    algorithms: ['RS256'],
    clockToleranceSeconds: 5,
    requireAtJwt: false,
    userIdClaim: 'https://bff.example.com/user_id',
    customerIdClaim: 'https://bff.example.com/customer_id',
    cacheSize: 10_000,
    cacheTtlSeconds: 60,
    jwksCooldownSeconds: 30,
    jwksTimeoutMs: 5000,
  });
}

/** The principal the verifier derives from a dev-issuer token of `persona` (V1 skips the token). */
export function personaPrincipal(persona: PersonaName, expiresAt = Math.floor(Date.now() / 1000) + 3600): Principal {
  const p = PERSONAS[persona];
  return principalFromClaims(
    { sub: p.subject, azp: p.clientId, scope: 'openid profile', permissions: [...p.permissions], exp: expiresAt },
    { userIdClaim: 'https://bff.example.com/user_id', customerIdClaim: 'https://bff.example.com/customer_id' },
  );
}

/** Builds one variant's server over `deps`. */
export function createVariant(name: VariantName, deps: VariantDeps): VariantServer {
  if (name === 'V2') {
    const bff = createBff({
      config: { production: true, graphqlPath: GRAPHQL_PATH, bodyLimitBytes: BODY_LIMIT, corsOrigins: [], maxPageSize: deps.maxPageSize },
      verifier: deps.verifier,
      upstreams: deps.upstreams,
      log: deps.log,
      ...(deps.now ? { now: deps.now } : {}),
    });
    return {
      name,
      httpServer: bff.httpServer,
      setPrincipal: () => {},
      listen: (port, host) => bff.listen(port, host),
      stop: () => bff.stop(),
    };
  }
  const now = deps.now ?? Date.now;
  if (name === 'V1') {
    let principal = personaPrincipal('alice');
    const context = async (): Promise<RequestContext> => plainContext(principal, deps.upstreams, deps.log, deps.maxPageSize, now);
    return serve(name, createSchema(), context, deps.log, (next) => (principal = next));
  }
  // V3: the product's authentication and context; shield adds its own `_shield` cache.
  const context = async (req: IncomingMessage): Promise<RequestContext> =>
    leanContext(await authenticate(deps.verifier, req), deps.upstreams, deps.log, deps.maxPageSize, now);
  return serve(name, createStockSchema(policy), context, deps.log, () => {});
}

/** The product's request context (createBff's builder): V2 in process, and V3's context. */
export function leanContext(principal: Principal, upstreams: Upstreams, log: Logger, maxPageSize: number, now: () => number = Date.now): RequestContext {
  return createRequestContext(principal, { upstreams, log, maxPageSize, now });
}

/** V1's context: no authorization state at all (createSchema() has no rules). */
export function plainContext(principal: Principal, upstreams: Upstreams, log: Logger, maxPageSize: number, now: () => number = Date.now): RequestContext {
  const loaders = createLoaders(upstreams);
  return { principal, identity: new Identity(principal, loaders, now), loaders, upstreams, authz: undefined as never, log, maxPageSize, now };
}

// Same order of checks as createBff's context.
async function authenticate(verifier: TokenVerifier, req: IncomingMessage): Promise<Principal> {
  const bearer = readBearer(req.headers.authorization);
  if (bearer.kind === 'none') throw new UnauthenticatedError('An access token is required (Authorization: Bearer <token>).');
  if (bearer.kind === 'malformed') throw new UnauthenticatedError('The Authorization header is not a well-formed bearer token.');
  return verifier.cached(bearer.token) ?? (await verifier.verify(bearer.token));
}

function serve(
  name: VariantName,
  schema: GraphQLSchema,
  context: (req: IncomingMessage) => Promise<RequestContext>,
  log: Logger,
  setPrincipal: (principal: Principal) => void,
): VariantServer {
  // The same query-shape limits as createBff: not authorization, so every variant has them.
  const limits = queryProtection(DEFAULT_QUERY_LIMITS, { production: true });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: true,
    persistedQueries: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    stopOnTerminationSignals: false,
    formatError,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [...limits.plugins, ApolloServerPluginLandingPageDisabled()],
  });
  let ready = false;
  const httpServer = createHttpServer({ apollo, graphqlPath: GRAPHQL_PATH, bodyLimitBytes: BODY_LIMIT, corsOrigins: [], context, isReady: () => ready, log });
  apollo.addPlugin(ApolloServerPluginDrainHttpServer({ httpServer }));
  return {
    name,
    httpServer,
    setPrincipal,
    async listen(port, host = '127.0.0.1') {
      await apollo.start();
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      ready = true;
      return `http://${host}:${(httpServer.address() as AddressInfo).port}${GRAPHQL_PATH}`;
    },
    async stop() {
      ready = false;
      await apollo.stop();
    },
  };
}

// createBff's rule: our typed errors pass, anything else becomes a generic internal error.
function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (isKnownErrorCode(code)) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return { message: 'Internal server error.', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR }, ...(formatted.path ? { path: formatted.path } : {}) };
}
