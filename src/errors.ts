import { type ASTNode, GraphQLError, type GraphQLErrorOptions, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './log.js';

/**
 * The closed set of error codes a client can receive in `extensions.code`.
 * SPAs switch on these; adding one is an API change.
 */
export const ErrorCode = {
  /** No token, or a token that failed verification. HTTP 401, whole request. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The token is valid but its permissions do not cover this field. */
  FORBIDDEN: 'FORBIDDEN',
  /** The caller's customer holds no active license granting `extensions.feature`. */
  LICENSE_REQUIRED: 'LICENSE_REQUIRED',
  /** A mutation referenced a record that does not exist or is not the caller's to see. */
  NOT_FOUND: 'NOT_FOUND',
  /** A seat assignment was refused because every seat of the license is taken. */
  NO_FREE_SEAT: 'NO_FREE_SEAT',
  /** The user already holds a seat on that license. */
  ALREADY_ASSIGNED: 'ALREADY_ASSIGNED',
  /** The user holds no seat on that license. */
  NOT_ASSIGNED: 'NOT_ASSIGNED',
  /** Arguments are well-typed but unacceptable (e.g. a page size out of range). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /**
   * The operation's estimated cost or size exceeds a limit; refused before any resolver ran
   * (HTTP 200, no `data`). `extensions.exceeded` names the limit: `cost` or `objects`.
   */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** An upstream API failed or timed out; the rest of the response is intact. */
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  /** The token issuer's keys could not be fetched: the request cannot be authenticated now. */
  AUTH_UNAVAILABLE: 'AUTH_UNAVAILABLE',
  /** The query text is not valid GraphQL (set by Apollo Server). */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The query does not validate against the schema or a query limit (set by Apollo Server). */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** The HTTP request is not a GraphQL request we accept (set by Apollo Server). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** Operation name does not match an operation in the document (set by Apollo Server). */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** The request ran past its deadline; its upstream calls were abandoned. Retrying later may succeed. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** The response grew past the per-request budget of objects; ask for less (smaller pages, fewer aliases). */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  /** Too many requests from this caller (or its customer) at once or per second; see `Retry-After`. HTTP 429. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A document id (`documentId`, or APQ's `extensions.persistedQuery.sha256Hash`) that names no trusted document. */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** A free-form document where only trusted documents are accepted. */
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** A bug on our side. The message is generic; details are only in the server log. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a client needs to know about one code. */
export interface ErrorCodeDoc {
  /** What happened and what to do, for SPA developers (rendered into the schema's `ErrorCode` enum). */
  readonly description: string;
  /** The HTTP status a response carrying it has, and what is left of the response. */
  readonly http: string;
}

/**
 * The client-facing documentation of every code: the one source of the schema's `ErrorCode`
 * enum, the generated docs/error-codes.ts module and the README's table (`npm run schema`).
 * Typed over `ErrorCode`, so a new code does not compile until it is documented here.
 */
export const ERROR_CODE_DOCS: { readonly [C in ErrorCode]: ErrorCodeDoc } = {
  UNAUTHENTICATED: {
    description: 'No access token, or one that fails verification (signature, issuer, audience, expiry). Get a new token and retry.',
    http: '401, whole request (WWW-Authenticate: Bearer)',
  },
  FORBIDDEN: {
    description:
      "The token's permissions or the caller's role do not cover this field. `extensions.permission` names a token permission that would grant it, when one would.",
    http: '200, the field is null, the rest intact',
  },
  LICENSE_REQUIRED: {
    description: "The caller's customer holds no active license granting the feature in `extensions.feature`.",
    http: '200, the field is null, the rest intact',
  },
  NOT_FOUND: {
    description:
      "A mutation named a license or user that does not exist or is not the caller's to see (the two are indistinguishable). Nothing changed.",
    http: '200, the mutation is null',
  },
  NO_FREE_SEAT: { description: 'Every seat of the license is assigned. Nothing changed.', http: '200, the mutation is null' },
  ALREADY_ASSIGNED: { description: 'The user already holds a seat on the license. Nothing changed.', http: '200, the mutation is null' },
  NOT_ASSIGNED: { description: 'The user holds no seat on the license. Nothing changed.', http: '200, the mutation is null' },
  BAD_USER_INPUT: {
    description:
      'Arguments are well-typed but unacceptable: `first` below 1, a cursor this API never issued, a malformed id, variables that do not coerce.',
    http: '200, the field is null (400 when the variables do not coerce)',
  },
  UPSTREAM_UNAVAILABLE: {
    description: 'A business API behind this one failed or timed out (`extensions.service` names it). Retrying later may succeed.',
    http: '200, the field is null, the rest intact',
  },
  AUTH_UNAVAILABLE: {
    description: "The token issuer's keys cannot be fetched, so no token can be verified right now. Retry after `Retry-After`.",
    http: '503, whole request',
  },
  GRAPHQL_PARSE_FAILED: {
    description: 'The document is not valid GraphQL, or has more tokens than the limit.',
    http: '400, whole request',
  },
  GRAPHQL_VALIDATION_FAILED: {
    description:
      'The document does not validate against the schema, or exceeds a query limit (depth, aliases, directives, cost); the message names which.',
    http: '400, whole request',
  },
  BAD_REQUEST: {
    description:
      'The HTTP request is not a GraphQL request this server accepts (batching, missing CSRF header, origin not allowed, body too large).',
    http: '400 (403 for an origin CORS does not allow, 413 for a body over the limit), whole request',
  },
  OPERATION_RESOLUTION_FAILURE: {
    description: '`operationName` does not name an operation of the document, or is missing where the document has several.',
    http: '400, whole request',
  },
  PERSISTED_QUERY_NOT_FOUND: {
    description:
      "No trusted document has this id (`documentId`, or APQ's `extensions.persistedQuery.sha256Hash`). With APQ, retry with the full query (Apollo Client's persisted-queries link does); it runs where free-form documents are accepted.",
    http: '200 (Cache-Control: private, no-cache, must-revalidate), whole request',
  },
  PERSISTED_QUERY_NOT_IN_LIST: {
    description:
      "Only trusted documents are accepted here, and this document is not among them: send the id from the SPA's persisted-documents manifest, and deploy the manifest to the BFF first.",
    http: '400, whole request',
  },
  QUERY_TOO_COMPLEX: {
    description:
      'The estimate of what the operation would do (objects in the response, upstream work; lists counted at their page size or declared size, multiplied down the tree) is over a limit. `extensions.exceeded` names the limit; outside production `extensions` also carries the estimate, the limit and the costliest paths. Ask for less: smaller pages, fewer aliases or nested lists.',
    http: '200, whole request (nothing ran)',
  },
  REQUEST_TIMEOUT: {
    description:
      'The request ran past its deadline (REQUEST_TIMEOUT_MS) and was stopped; its upstream calls were abandoned. Retrying later may succeed.',
    http: '200, whole request (data is null)',
  },
  RESPONSE_TOO_LARGE: {
    description:
      'The response grew past the per-request budget of list items (EXECUTION_MAX_LIST_ITEMS) and was stopped. Ask for less: smaller pages, fewer aliases or nested lists.',
    http: '200, whole request (data is null)',
  },
  RATE_LIMITED: {
    description:
      "Too many requests from this caller at once or per second, or for the caller's customer at once. Retry after the seconds in `Retry-After`.",
    http: '429 (Retry-After), whole request',
  },
  INTERNAL_SERVER_ERROR: {
    description: 'A bug on our side. The message is generic; the details are in the server log only.',
    http: '200 at a field (the rest intact), or 500 for the whole request',
  },
};

const CODES = new Set<string>(Object.values(ErrorCode));

/** True when `code` belongs to the closed set above. */
export function isKnownErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && CODES.has(code);
}

/** Base class: every error this BFF raises on purpose carries one code from the set. */
export class BffError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}, options: GraphQLErrorOptions = {}) {
    // An outcome the client is told by its code: its stack is never sent or logged (only
    // internal errors are, src/server.ts), so none is captured. Error and GraphQLError each
    // capture one (the second through Error.captureStackTrace), and replacing it below
    // formatted it: 20-40 µs per error, paid per denied field (a 401 or 429 too). Constructors
    // run synchronously, so the limit is back before anything else can throw.
    const internal = code === ErrorCode.INTERNAL_SERVER_ERROR;
    const stackTraceLimit = Error.stackTraceLimit;
    if (!internal) Error.stackTraceLimit = 0;
    try {
      super(message, { ...options, extensions: { ...extensions, ...options.extensions, code } });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = new.target.name;
    if (!internal) Object.defineProperty(this, 'stack', { value: `${this.name}: ${message}`, writable: true, configurable: true });
  }
}

/**
 * `error` as graphql-js reports it at a field (its message, code and extensions, the field's
 * locations and path), built once. Handed an error without a path, graphql-js wraps it in a
 * new GraphQLError per field (`locatedError`), which captures and formats a stack (~24 µs): a
 * request that denies 10,000 fields paid that 10,000 times. An error with a path is used as is.
 */
export function locatedAt(error: BffError, nodes: readonly ASTNode[], path: readonly (string | number)[]): BffError {
  const { code, ...extensions } = error.extensions as Record<string, unknown>;
  return new BffError(error.message, code as ErrorCode, extensions, { nodes, path });
}

/** The request carries no valid access token. */
export class UnauthenticatedError extends BffError {
  constructor(message = 'A valid access token is required.') {
    super(message, ErrorCode.UNAUTHENTICATED, {
      http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) },
    });
  }
}

/** The identity provider's keys are unreachable; retrying later may succeed. */
export class AuthUnavailableError extends BffError {
  constructor() {
    super('Access tokens cannot be verified right now. Try again shortly.', ErrorCode.AUTH_UNAVAILABLE, {
      http: { status: 503, headers: new Map([['retry-after', '5']]) },
    });
  }
}

/**
 * The caller may not see this field. `permission`, when the denying rule names one, is a token
 * permission that would grant it (`extensions.permission`), so an SPA can say what to ask for.
 */
export class ForbiddenError extends BffError {
  constructor(readonly permission?: string) {
    super(
      permission === undefined ? 'You are not allowed to access this field.' : `This field needs the "${permission}" permission.`,
      ErrorCode.FORBIDDEN,
      permission === undefined ? {} : { permission },
    );
  }
}

/** The caller's customer lacks the license feature needed for this field. */
export class LicenseRequiredError extends BffError {
  constructor(readonly feature: string) {
    super(`This field requires an active license with the "${feature}" feature.`, ErrorCode.LICENSE_REQUIRED, {
      feature,
    });
  }
}

/** A referenced record does not exist for this caller (foreign records look the same). */
export class NotFoundError extends BffError {
  constructor(what: string) {
    super(`${what} not found.`, ErrorCode.NOT_FOUND);
  }
}

/** The license has no free seat. */
export class NoFreeSeatError extends BffError {
  constructor() {
    super('Every seat of this license is assigned.', ErrorCode.NO_FREE_SEAT);
  }
}

/** The user already holds a seat on the license. */
export class AlreadyAssignedError extends BffError {
  constructor() {
    super('The user already holds a seat on this license.', ErrorCode.ALREADY_ASSIGNED);
  }
}

/** The user holds no seat on the license. */
export class NotAssignedError extends BffError {
  constructor() {
    super('The user holds no seat on this license.', ErrorCode.NOT_ASSIGNED);
  }
}

/** Well-typed but unacceptable input. */
export class BadUserInputError extends BffError {
  constructor(message: string) {
    super(message, ErrorCode.BAD_USER_INPUT);
  }
}

/**
 * The operation would cost more than a limit allows; refused before execution. HTTP 200: the
 * request was well-formed, the answer is a GraphQL error (as for BAD_USER_INPUT).
 */
export class QueryTooComplexError extends BffError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ErrorCode.QUERY_TOO_COMPLEX, { ...details, http: { status: 200 } });
  }
}

/** An upstream API failed; the message names the service, never its response body. */
export class UpstreamUnavailableError extends BffError {
  constructor(
    readonly service: string,
    options: GraphQLErrorOptions = {},
  ) {
    super(`The ${service} service is unavailable.`, ErrorCode.UPSTREAM_UNAVAILABLE, { service }, options);
  }
}

/** The request ran past its deadline. */
export class RequestTimeoutError extends BffError {
  constructor(readonly timeoutMs: number) {
    super('The request took too long and was stopped. Try again, or ask for less.', ErrorCode.REQUEST_TIMEOUT);
  }
}

/** The response outgrew the per-request budget of objects. */
export class ResponseTooLargeError extends BffError {
  constructor(readonly limit: number) {
    super(
      'The response grew too large and was stopped. Ask for less: smaller pages, fewer aliases or nested lists.',
      ErrorCode.RESPONSE_TOO_LARGE,
    );
  }
}

/** Over a per-caller or per-customer bound: HTTP 429 with `Retry-After` (whole seconds, at least 1). */
export class RateLimitedError extends BffError {
  constructor(
    readonly scope: 'caller' | 'customer',
    retryAfterMs: number,
  ) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(
      scope === 'caller'
        ? 'Too many requests from this caller. Retry after the time in the Retry-After header.'
        : "Too many requests for this caller's customer. Retry after the time in the Retry-After header.",
      ErrorCode.RATE_LIMITED,
      { http: { status: 429, headers: new Map([['retry-after', String(seconds)]]) } },
    );
  }
}

/** A document id that names no trusted document; for APQ-shaped requests, Apollo's exact wording. */
export class PersistedQueryNotFoundError extends BffError {
  constructor(shape: 'apq' | 'document-id') {
    // Apollo Client's persisted-queries link recognises the code, older versions the message.
    super(shape === 'apq' ? 'PersistedQueryNotFound' : 'No trusted document has this documentId.', ErrorCode.PERSISTED_QUERY_NOT_FOUND, {
      http: { status: 200, headers: new Map([['cache-control', 'private, no-cache, must-revalidate']]) },
    });
  }
}

/** A free-form document where only trusted documents are accepted. */
export class PersistedQueryNotInListError extends BffError {
  constructor() {
    super(
      'Only trusted documents are accepted: send the documentId of a document from the SPA manifest.',
      ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
      {
        http: { status: 400 },
      },
    );
  }
}

/**
 * The last gate before a client sees an error: our typed errors pass, Apollo's own request
 * errors pass, everything else becomes a generic INTERNAL_SERVER_ERROR (logged once per
 * request, `logInternalErrors`). Applied by Apollo, and by the execution worker to what it
 * sends back (src/execution/).
 */
export function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (isKnownErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error.',
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
  };
}

/**
 * An execution error as Apollo hands it to `formatError`: every error has a code
 * (INTERNAL_SERVER_ERROR when it has none), and no `http` extension (Apollo turns that into
 * the response's status; an abandoned request's status is set from its budget instead).
 */
export function toFormattedError(error: GraphQLError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  return { ...error.toJSON(), extensions: { ...extensions, code: extensions.code ?? ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** Errors we did not raise on purpose: logged once per request, the first with its stack, the rest counted; never sent. */
export function logInternalErrors(
  log: Pick<Logger, 'error'>,
  errors: readonly GraphQLError[],
  facts: { readonly operationName: string | null; readonly subject: string | null },
): void {
  const internal = errors.filter(
    (error) => !isKnownErrorCode(error.extensions?.code) || error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR,
  );
  const [first] = internal;
  if (first === undefined) return;
  // What a resolver threw, not graphql-js' wrapper around it.
  const original = first.path !== undefined && first.originalError != null ? first.originalError : first;
  log.error('graphql.internal_error', {
    ...facts,
    count: internal.length,
    path: first.path?.join('.'),
    error: `${original.name}: ${original.message}`,
    stack: original.stack,
  });
}
