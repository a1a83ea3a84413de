import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequestListener, type GraphQLResponse, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { authenticate, cachedPrincipal } from './auth/authenticate.js';
import type { Principal } from './auth/principal.js';
import type { TokenVerifier } from './auth/verifier.js';
import { type Denial, deniedUpfront } from './authz/apply.js';
import { policy } from './authz/policy.js';
import { estimateCost } from './limits/cost.js';
import type { CrossRequestCache } from './cache/cross-request.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { createRequestContext, type RequestContext } from './context.js';
import { type BffError, ErrorCode, formatError, isKnownErrorCode, logInternalErrors } from './errors.js';
import { createHttpServer, type EarlyRefusal, type HttpRoute } from './http.js';
import { Admission } from './limits/admission.js';
import { type AdmitEstimate, costLimitPlugin } from './limits/cost-plugin.js';
import { type LimitStore, whenReady } from './limits/limit-store.js';
import { queryProtection } from './limits/query-shape.js';
import { RefusalHold } from './limits/refusal-hold.js';
import { stringifyYielding } from './limits/stringify.js';
import { isLargeRequest } from './limits/budget.js';
import { documentGate } from './documents/request.js';
import { TrustedDocuments } from './documents/trusted.js';
import { groupRepeatedErrorsPlugin } from './error-grouping.js';
import { createLandingPage } from './landing-page.js';
import { lookAhead } from './lookahead.js';
import type { Logger } from './log.js';
import { type Telemetry, telemetryOf } from './observability/request.js';
import { endSpan, SpanKind } from './observability/tracing.js';
import { createAuthorizedSchema } from './schema.js';
import { type ExecutionWorker, relayedData, serializeRelayed, type WorkerRequest } from './execution/executor.js';
import type { Upstreams } from './upstream/index.js';
import { everyRequest } from './every-request.js';

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
    | 'execution'
    | 'fairShare'
  >;
  readonly verifier: TokenVerifier;
  /** Where fair-share counters live (one per instance in memory, or shared). */
  readonly limitStore: LimitStore;
  /** Authorization records reused across requests (absent: none). */
  readonly cache?: CrossRequestCache;
  readonly upstreams: Upstreams;
  readonly log: Logger;
  /** Development only: mints the short-lived token the landing page offers (see src/landing-page.ts). */
  readonly landingToken?: () => Promise<string>;
  /** The one clock (license validity, and everything else that expires). */
  readonly clock: Clock;
  /** `/readyz`: true while the instance should receive traffic (see `Lifecycle`). */
  readonly isReady?: () => boolean;
  /** Metrics and tracing (absent: request ids and request log lines only). */
  readonly telemetry?: Telemetry;
  /** Front-door routes besides GraphQL (metrics, license-change notifications). */
  readonly routes?: readonly HttpRoute[];
  /** `/readyz`: dependencies down without taking the instance out (see `Lifecycle.degraded`). */
  readonly degraded?: () => readonly string[];
  /** Where large queries execute (absent: in place, sliced; see src/execution/executor.ts). */
  readonly executor?: ExecutionWorker;
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
  const { config, verifier, upstreams, log, clock, executor } = deps;
  const admission = new Admission(deps.limitStore, config.fairShare);
  // Callers the front door already found in the token cache (and held to their rate).
  const known = new WeakMap<IncomingMessage, Principal>();
  // A caller that keeps sending while refused is answered late (see RefusalHold).
  const hold = new RefusalHold(clock, config.fairShare.refusalHoldMs);
  const contextDeps = {
    upstreams,
    log,
    maxPageSize: config.maxPageSize,
    clock,
    execution: config.execution,
    ...(deps.cache === undefined ? {} : { cache: deps.cache }),
  };
  const metrics = deps.telemetry?.metrics;
  // The decision log: one summary per request (see RequestLog). Never the token.
  const schema = createAuthorizedSchema({
    onDenial: (ctx: RequestContext, denial: Denial) => {
      ctx.requestLog.denied(denial);
      metrics?.denied(denial.rule, denial.field);
    },
    ...(deps.telemetry?.tracing
      ? { onWait: (ctx: RequestContext, rule, coordinate) => ctx.telemetry?.decision(rule, coordinate) ?? null }
      : {}),
  });
  return createGraphQLServer({
    config,
    schema,
    // A caller already known (its token verified recently) is held to its request rate before
    // its request is even read; the others are, once authenticated, in the context below.
    refuseEarly: (req) => {
      const principal = cachedPrincipal(verifier, req.headers.authorization);
      if (principal === undefined) return null;
      known.set(req, principal);
      const caller = principal.subject;
      return whenReady(admission.takeCallerRate(caller), (error) =>
        error === null ? null : { error, answer: (send: () => void) => hold.answer(caller, send) },
      );
    },
    context: async (req) => {
      let principal = known.get(req);
      if (principal === undefined) {
        principal = await authenticate(verifier, req);
        const refused = await admission.takeCallerRate(principal.subject);
        if (refused !== null) throw refused;
      }
      const caller = principal;
      return admission.enterCaller(caller.subject, () => createRequestContext(caller, contextDeps, telemetryOf(req)));
    },
    // Work is shared fairly too: the estimate is spent from the caller's bucket before anything
    // runs, and from the customer's once the caller's customer is known.
    admitEstimate: (estimate, ctx) => admission.chargeCallerWork(ctx.principal.subject, estimate.objects),
    plugins: [
      // Once the operation passed every limit (never for a refused one: no upstream call).
      everyRequest({
        ...(executor === undefined
          ? {}
          : {
              // A large query executes in the worker; what it needs of its caller is asked of this request.
              async responseForOperation({ contextValue: ctx, document, operation, operationName, source, request }) {
                const objects = ctx.budget.expectedObjects ?? 0;
                // Apollo's types say `operation` is there; an operationName that names none leaves it out.
                const kind = (operation as typeof operation | undefined)?.operation;
                if (kind !== 'query' || !isLargeRequest(objects)) return null;
                // Handing a request over costs about a millisecond of CPU, worth it only for one that builds
                // a large answer: what this caller's permissions deny outright is left out of the count
                // (a member without billing access asking for 100 invoices executes in place).
                const readable = estimateCost(schema, document, operation, request.variables, {
                  maxPageSize: config.maxPageSize,
                  paths: 0,
                  skip: (type, field) => deniedUpfront(policy, type, field, ctx),
                });
                if (readable === undefined || !isLargeRequest(readable.objects)) return null;
                lookAhead(ctx, document, admission, objects);
                return executeElsewhere(
                  executor,
                  ctx,
                  {
                    source,
                    operationName: request.operationName ?? null,
                    operationNameForLog: operationName,
                    variables: request.variables,
                  },
                  objects,
                );
              },
            }),
        async executionDidStart({ contextValue, document }) {
          lookAhead(contextValue, document, admission, contextValue.budget.expectedObjects ?? 0);
        },
      }),
    ],
    log,
    ...(deps.landingToken === undefined ? {} : { landingToken: deps.landingToken }),
    ...(deps.isReady === undefined ? {} : { isReady: deps.isReady }),
    ...(deps.telemetry === undefined ? {} : { telemetry: deps.telemetry }),
    ...(deps.routes === undefined ? {} : { routes: deps.routes }),
    ...(deps.degraded === undefined ? {} : { degraded: deps.degraded }),
  });
}

/** What the GraphQL server is assembled from: a schema and a context function. */
export interface GraphQLServerOptions {
  readonly config: BffDependencies['config'];
  readonly schema: GraphQLSchema;
  /** Builds the request context; throwing a GraphQLError with an HTTP status ends the request. */
  readonly context: (req: IncomingMessage) => Promise<RequestContext>;
  readonly log: Logger;
  /** Plugins of this server on top of the product's request handling. */
  readonly plugins?: readonly ApolloServerPlugin<RequestContext>[];
  /** Admits (or refuses) an operation by its cost estimate, before anything runs. */
  readonly admitEstimate?: AdmitEstimate<RequestContext>;
  /** Refuses a request at the front door, before its body is read (see `HttpOptions.refuseEarly`). */
  readonly refuseEarly?: (req: IncomingMessage) => EarlyRefusal | null | Promise<EarlyRefusal | null>;
  readonly landingToken?: () => Promise<string>;
  readonly isReady?: () => boolean;
  readonly telemetry?: Telemetry;
  readonly routes?: readonly HttpRoute[];
  readonly degraded?: () => readonly string[];
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
  const documents = TrustedDocuments.load(config.trustedDocuments.manifests, {
    schema,
    limits: config.queryLimits,
    maxPageSize: config.maxPageSize,
    protection: limits,
  });
  if (documents.size > 0) log.info('documents.loaded', { documents: documents.size, manifests: config.trustedDocuments.manifests });
  const admit = documentGate(config.trustedDocuments, log);
  // The estimate of each response's request, by its data (stringifyResult sees only the response).
  const estimated = new WeakMap<object, number>();
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
    formatError: (formatted) => formatError(formatted),
    // A large request's response is serialized in slices, so it cannot block the event loop for
    // tens of ms; any other (or one without data) natively, in one go (see stringify.ts).
    stringifyResult: (value) => {
      const relayed = serializeRelayed(value);
      if (relayed !== undefined) return relayed;
      const objects = value.data == null ? 0 : estimated.get(value.data);
      return objects !== undefined && !isLargeRequest(objects)
        ? `${JSON.stringify(value)}\n`
        : stringifyYielding(value, { background: objects !== undefined }).then((text) => `${text}\n`);
    },
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ...limits.plugins,
      costLimitPlugin<RequestContext>(
        {
          maxCost: config.queryLimits.maxCost,
          maxObjects: config.queryLimits.maxObjects,
          maxPageSize: config.maxPageSize,
          production: config.production,
        },
        // A large request runs in short stretches (see ExecutionBudget.expect), whoever admits it.
        (estimate, ctx) => {
          ctx.budget.expect(estimate.objects);
          return options.admitEstimate?.(estimate, ctx);
        },
      ),
      requestEnd(log),
      everyRequest({
        async willSendResponse({ contextValue, response }) {
          const expected = contextValue.budget?.expectedObjects;
          if (response.body.kind !== 'single' || expected === undefined) return;
          const { data } = response.body.singleResult;
          if (data != null) estimated.set(data, expected);
        },
      }),
      ...(options.plugins ?? []),
      groupRepeatedErrorsPlugin(),
      // Last, so it reads the response as the client gets it (grouped, replaced when abandoned).
      requestTelemetryPlugin(),
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
      try {
        const context = await options.context(req);
        try {
          admit(document, context.principal);
        } catch (error) {
          context.scope.end();
          throw error;
        }
        return context;
      } catch (error) {
        // Refused before execution (401, 429, 503, a document not allowed): no plugin sees it.
        telemetryOf(req)?.error(codeOf(error));
        throw error;
      }
    },
    // Whatever Apollo did with the request (it refuses some without a plugin seeing them).
    endContext: (context) => context.scope.end(),
    ...(options.refuseEarly ? { refuseEarly: options.refuseEarly } : {}),
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
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    ...(options.degraded === undefined ? {} : { degraded: options.degraded }),
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
 * A large query's response from the execution worker: its errors as the worker formatted them,
 * its data as the UTF-8 bytes of its JSON (written as they are, see `serializeRelayed`). Abandoned there, the request
 * ends like one abandoned here (`requestEnd` answers with the error alone). A worker that
 * fails answers one internal error, logged.
 */
async function executeElsewhere(
  executor: ExecutionWorker,
  ctx: RequestContext,
  request: WorkerRequest,
  objects: number,
): Promise<GraphQLResponse> {
  const http = { status: undefined, headers: new HeaderMap() };
  if (ctx.telemetry !== undefined) ctx.telemetry.inWorker = true;
  try {
    const outcome = await executor.run(ctx, request, objects);
    const data = outcome.data == null ? outcome.data : relayedData(outcome.data);
    return {
      http,
      body: {
        kind: 'single',
        singleResult: { ...(outcome.errors === undefined ? {} : { errors: outcome.errors }), ...(data === undefined ? {} : { data }) },
      },
    };
  } catch (error) {
    ctx.log.error('graphql.internal_error', {
      operationName: request.operationNameForLog,
      subject: ctx.principal.subject,
      count: 1,
      error: error instanceof Error ? error.message : String(error),
    });
    return { http, body: { kind: 'single', singleResult: { data: null, errors: [formatError({ message: 'execution failed' })] } } };
  }
}

/**
 * Where a request ends, whatever way it ends: an abandoned request (deadline, response budget,
 * customer bound) answers with that one error and nothing else; the request's summary lines
 * are written; its slots and timers are released. Errors we did not raise on purpose are
 * logged once per request (the first with its stack, the rest counted), never sent.
 */
function requestEnd(log: Logger): ApolloServerPlugin<RequestContext> {
  return everyRequest({
    async didEncounterErrors({ errors, contextValue, operationName }) {
      logInternalErrors(log, errors, { operationName: operationName ?? null, subject: contextValue.principal?.subject ?? null });
    },
    async willSendResponse({ contextValue: ctx, response, operationName }) {
      // A request refused before it had a context (401, 429 of the caller) has nothing to end.
      if (ctx.scope === undefined) return;
      // The answer leaves once the caller's identity lookup is over, however the request went:
      // an id hidden by ownership and an id that does not exist answer at the same moment.
      await ctx.identity.settled();
      const stopped = ctx.budget.stoppedBy;
      if (stopped !== null) replaceWithError(response, stopped);
      ctx.requestLog.flush({
        subject: ctx.principal.subject,
        clientId: ctx.principal.clientId,
        customerId: ctx.identity.known?.customerId ?? null,
        operationName: operationName ?? null,
      });
      ctx.scope.end();
    },
  });
}

/**
 * What the request's telemetry learns from Apollo: the operation, the errors as sent, whether
 * data came back, and the caller's customer; with tracing, a span for each of parse, validate
 * and execute (the execute span parents upstream calls and waiting authorization decisions).
 */
function requestTelemetryPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      // Contexts built outside the front door (benchmark variants) carry no telemetry.
      const telemetry = contextValue.telemetry;
      if (telemetry === undefined) return;
      const traced: GraphQLRequestListener<RequestContext> =
        telemetry.span === undefined
          ? {}
          : {
              async parsingDidStart() {
                const span = telemetry.child('graphql.parse');
                return async (error) => {
                  if (span) endSpan(span, error?.message);
                };
              },
              async validationDidStart() {
                const span = telemetry.child('graphql.validate');
                return async (errors) => {
                  if (span) endSpan(span, errors?.[0]?.message);
                };
              },
              async executionDidStart({ operationName }) {
                const span = telemetry.child(
                  'graphql.execute',
                  SpanKind.INTERNAL,
                  operationName ? { 'graphql.operation.name': operationName } : {},
                );
                if (span === null) return;
                telemetry.executeSpan = span;
                return {
                  async executionDidEnd(error) {
                    telemetry.executeSpan = undefined;
                    endSpan(span, error?.message);
                  },
                };
              },
            };
      return {
        ...traced,
        async willSendResponse({ response, operationName }) {
          telemetry.operationName = operationName ?? null;
          telemetry.customerId = contextValue.identity?.known?.customerId ?? null;
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          telemetry.hasData = data !== null && data !== undefined;
          for (const error of errors ?? []) {
            const count = error.extensions?.count;
            telemetry.error(String(error.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR), typeof count === 'number' ? count : 1);
          }
        },
      };
    },
  };
}

/** The code a client sees for an error thrown before execution. */
function codeOf(error: unknown): string {
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  return isKnownErrorCode(code) ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** The response of an abandoned request: only the error that stopped it (and its HTTP status, e.g. 429). */
function replaceWithError(response: GraphQLResponse, error: BffError): void {
  const { http, ...extensions } = error.extensions as { http?: { status?: number; headers?: Map<string, string> } };
  response.body = { kind: 'single', singleResult: { data: null, errors: [{ message: error.message, extensions }] } };
  if (http?.status !== undefined) response.http.status = http.status;
  for (const [name, value] of http?.headers ?? []) response.http.headers.set(name, value);
}
