import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { authenticate } from './auth/authenticate.js';
import type { TokenVerifier } from './auth/verifier.js';
import type { Denial } from './authz/apply.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { createRequestContext, type RequestContext } from './context.js';
import { documentGate } from './documents/request.js';
import { TrustedDocuments } from './documents/trusted.js';
import { groupRepeatedErrorsPlugin } from './error-grouping.js';
import { ErrorCode, isKnownErrorCode } from './errors.js';
import { createHttpServer } from './http.js';
import { createLandingPage } from './landing-page.js';
import { queryProtection } from './limits.js';
import type { Logger } from './log.js';
import { createAuthorizedSchema } from './schema.js';
import type { Upstreams } from './upstream/index.js';

/** What the BFF is built from; `main.ts` assembles it from configuration, tests by hand. */
export interface BffDependencies {
  readonly config: Pick<
    Config,
    | 'production'
    | 'graphqlPath'
    | 'bodyLimitBytes'
    | 'corsOrigins'
    | 'corsAllowedHeaders'
    | 'maxPageSize'
    | 'queryLimits'
    | 'trustedDocuments'
  >;
  readonly verifier: TokenVerifier;
  readonly upstreams: Upstreams;
  readonly log: Logger;
  /** Development only: mints the short-lived token the landing page offers (see src/landing-page.ts). */
  readonly landingToken?: () => Promise<string>;
  /** The one clock (license validity, and everything else that expires). */
  readonly clock: Clock;
  /** `/readyz`: true while the instance should receive traffic (see `Lifecycle`). */
  readonly isReady?: () => boolean;
}

/** A built BFF: an Apollo server behind an HTTP server that is not listening yet. */
export interface Bff {
  readonly apollo: ApolloServer<RequestContext>;
  readonly httpServer: Server;
  readonly schema: GraphQLSchema;
  /** Starts Apollo and listens; resolves to the GraphQL URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Readiness turns false first, then in-flight requests finish and the server closes. */
  stop(): Promise<void>;
}

/** Builds the BFF without listening (tests start it on port 0). */
export function createBff(deps: BffDependencies): Bff {
  const { config, verifier, upstreams, log } = deps;
  const onDenial = (ctx: RequestContext, denial: Denial) => {
    // The decision log: who, which customer, which app, where, which rule, why. Never the token.
    log.info('authz.denied', {
      subject: ctx.principal.subject,
      customerId: ctx.identity.known?.customerId ?? null,
      clientId: ctx.principal.clientId,
      path: denial.path,
      field: denial.field,
      rule: denial.rule,
      reason: denial.reason,
      kind: denial.kind,
    });
  };
  return createGraphQLServer({
    config,
    schema: createAuthorizedSchema({ onDenial }),
    context: async (req) =>
      createRequestContext(await authenticate(verifier, req), { upstreams, log, maxPageSize: config.maxPageSize, clock: deps.clock }),
    log,
    ...(deps.landingToken === undefined ? {} : { landingToken: deps.landingToken }),
    ...(deps.isReady === undefined ? {} : { isReady: deps.isReady }),
  });
}

/** What the GraphQL server is assembled from: a schema and a context function. */
export interface GraphQLServerOptions {
  readonly config: BffDependencies['config'];
  readonly schema: GraphQLSchema;
  /** Builds the request context; throwing a GraphQLError with an HTTP status ends the request. */
  readonly context: (req: IncomingMessage) => Promise<RequestContext>;
  readonly log: Logger;
  readonly landingToken?: () => Promise<string>;
  readonly isReady?: () => boolean;
}

/**
 * Apollo Server behind the HTTP front door, with the product's request handling (limits,
 * error masking, CSRF, no batching, landing page only in development). `createBff` gives it
 * the authorized schema and the authenticating context; the benchmark's comparison variants
 * give it theirs, so only authentication and authorization differ between them.
 */
export function createGraphQLServer(options: GraphQLServerOptions): Bff {
  const { config, schema, log } = options;
  let ready = false;
  const limits = queryProtection(config.queryLimits, { production: config.production });
  // Checked with the very rules requests are checked with: a trusted document over a limit
  // stops start-up here rather than failing in an SPA.
  const documents = TrustedDocuments.load(config.trustedDocuments.manifests, { schema, limits: config.queryLimits, protection: limits });
  if (documents.size > 0) log.info('documents.loaded', { documents: documents.size, manifests: config.trustedDocuments.manifests });
  const admit = documentGate(config.trustedDocuments, log);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    persistedQueries: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns shutdown: readiness must turn false before the listener closes, which
    // Apollo's own SIGTERM handler (on outside NODE_ENV=test) would do at once.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatError(formatted, error, log),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ...limits.plugins,
      groupRepeatedErrorsPlugin(),
      // No @cacheControl in the schema: the default plugin would only add a hook per field.
      ApolloServerPluginCacheControlDisabled(),
      // The development landing page is the front door's (src/landing-page.ts): it needs the
      // request's Host to decide whether the page may carry a token, which Apollo's does not see.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  const httpServer = createHttpServer({
    apollo,
    graphqlPath: config.graphqlPath,
    bodyLimitBytes: config.bodyLimitBytes,
    corsOrigins: config.corsOrigins,
    corsAllowedHeaders: config.corsAllowedHeaders,
    documents,
    // The document is admitted once the caller is known: a permission may allow free-form ones.
    context: async (req, document) => {
      const context = await options.context(req);
      admit(document, context.principal);
      return context;
    },
    isReady: () => ready && (options.isReady?.() ?? true),
    ...(config.production
      ? {}
      : {
          landingPage: createLandingPage({
            graphqlPath: config.graphqlPath,
            ...(options.landingToken === undefined ? {} : { mintToken: options.landingToken }),
          }),
        }),
    log,
  });
  // On stop: stop accepting, let in-flight requests finish, then close idle connections.
  apollo.addPlugin(ApolloServerPluginDrainHttpServer({ httpServer }));

  return {
    apollo,
    httpServer,
    schema,
    async listen(port, host = '127.0.0.1') {
      await apollo.start();
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      ready = true;
      const { port: bound } = httpServer.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      return `http://${shownHost}:${bound}${config.graphqlPath}`;
    },
    async stop() {
      ready = false;
      await apollo.stop();
    },
  };
}

/**
 * The last gate before a client sees an error: our typed errors pass, Apollo's own request
 * errors pass, everything else becomes a generic INTERNAL_SERVER_ERROR logged server-side.
 */
function formatError(formatted: GraphQLFormattedError, error: unknown, log: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (isKnownErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  const original = unwrapResolverError(error);
  log.error('graphql.internal_error', {
    path: formatted.path?.join('.'),
    error: original instanceof Error ? `${original.name}: ${original.message}` : String(original),
    stack: original instanceof Error ? original.stack : undefined,
  });
  return {
    message: 'Internal server error.',
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
  };
}
