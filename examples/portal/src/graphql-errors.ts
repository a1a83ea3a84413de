import { CombinedGraphQLErrors, type ErrorLike, ServerError } from '@apollo/client';
import type { GraphQLFormattedError } from 'graphql';
// The BFF publishes its closed set of error codes as a module; copy it into your SPA, or
// import it where the repositories sit side by side, as here.
import { ErrorCode, isErrorCode } from '../../../docs/error-codes';

/** Any index of a list, in a path given to `errorAt`. */
export const ANY = '*';

/** A response path: field names and list indexes, with `ANY` for "whichever item". */
export type PathPattern = readonly (string | number)[];

/** The GraphQL errors Apollo Client reports beside a result (with errorPolicy 'all', the data stays). */
export function graphQLErrors(error: ErrorLike | undefined): readonly GraphQLFormattedError[] {
  return CombinedGraphQLErrors.is(error) ? error.errors : [];
}

/**
 * The code of a request that failed as a whole: from the errors Apollo Client parsed, or from the
 * body of a non-200 answer (401, 400, 429, 503), which it reports as a `ServerError`.
 */
export function requestErrorCode(error: ErrorLike | undefined): string | undefined {
  let code: unknown = graphQLErrors(error)[0]?.extensions?.code;
  if (ServerError.is(error)) {
    try {
      code = (JSON.parse(error.bodyText) as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]?.extensions?.code;
    } catch {
      // Not a GraphQL answer (a proxy's error page): no code to report.
    }
  }
  return typeof code === 'string' ? code : undefined;
}

/**
 * The error that explains a `null` at `path`. A field refused on many items of a list comes as
 * one error (at the first item's path, with `extensions.count`), so look list items up with
 * `ANY` in place of the index.
 */
export function errorAt(error: ErrorLike | undefined, path: PathPattern): GraphQLFormattedError | undefined {
  return graphQLErrors(error).find(
    (candidate) =>
      candidate.path !== undefined &&
      candidate.path.length === path.length &&
      candidate.path.every((segment, at) => path[at] === ANY || path[at] === segment),
  );
}

/** What the user is told about something the BFF did not give. */
export interface Notice {
  readonly kind: 'no-access' | 'license' | 'unavailable' | 'error';
  readonly text: string;
}

/**
 * The user's words for a field error, from its `extensions.code`: what permission or license
 * would show it, or that trying later may help. Never the server's message, which is for developers.
 */
export function noticeFor(error: GraphQLFormattedError): Notice {
  const extensions = error.extensions ?? {};
  const code = isErrorCode(extensions.code) ? extensions.code : undefined;
  switch (code) {
    case ErrorCode.FORBIDDEN:
      // `permission` is there when a token permission would grant the field; otherwise the
      // caller's role decides (e.g. other members' e-mail addresses), and asking would not help.
      return typeof extensions.permission === 'string'
        ? { kind: 'no-access', text: `No access (needs ${extensions.permission})` }
        : { kind: 'no-access', text: 'No access' };
    case ErrorCode.LICENSE_REQUIRED:
      return { kind: 'license', text: `Needs a license with ${String(extensions.feature)}` };
    case ErrorCode.UPSTREAM_UNAVAILABLE:
    case ErrorCode.REQUEST_TIMEOUT:
    case ErrorCode.RATE_LIMITED:
      return { kind: 'unavailable', text: 'Unavailable right now, try again later' };
    default:
      return { kind: 'error', text: `Could not load this (${code ?? 'unknown error'})` };
  }
}

/** The notice for a null at `path`, or a generic one when the response says nothing about it. */
export function noticeAt(error: ErrorLike | undefined, path: PathPattern): Notice {
  const found = errorAt(error, path);
  if (found !== undefined) return noticeFor(found);
  return { kind: 'error', text: error === undefined ? 'Not available' : 'Could not load this' };
}

/**
 * Why a seat change was refused, in the user's words. The mutation is null and nothing changed
 * upstream for every one of these codes.
 */
export function seatChangeRefusal(error: ErrorLike | undefined): string {
  const [first] = graphQLErrors(error);
  if (first === undefined) return error === undefined ? 'The change was refused.' : 'The BFF could not be reached; nothing changed.';
  switch (first.extensions?.code) {
    case ErrorCode.NO_FREE_SEAT:
      return 'Every seat is taken: revoke one first.';
    case ErrorCode.ALREADY_ASSIGNED:
      return 'This person already holds a seat.';
    case ErrorCode.NOT_ASSIGNED:
      return 'This person holds no seat.';
    case ErrorCode.NOT_FOUND:
      return 'That license or person is gone; reload the page.';
    case ErrorCode.FORBIDDEN:
      return `You may not manage seats${typeof first.extensions?.permission === 'string' ? ` (needs ${first.extensions.permission})` : ''}.`;
    default:
      return noticeFor(first).text;
  }
}
