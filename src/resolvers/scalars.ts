import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * The two time scalars. `Date` is a calendar date (an invoice's issue day is the same day in
 * every time zone); `DateTime` is an instant. Both are checked when serialized, so an upstream
 * that breaks its contract shows up as an error at that field (logged as a bug) instead of a
 * value that parses differently in every SPA.
 */

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 date-time: a time zone is required, or the instant would depend on the reader's.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** `value` as a calendar date `YYYY-MM-DD`, or null when it is not one (e.g. 2026-02-30). */
export function toCalendarDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = FULL_DATE.exec(value);
  if (!match) return null;
  // Arithmetic, not a Date per value: a page of invoices serializes thousands of these.
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= days ? value : null;
}

/** `value` as an RFC 3339 instant, normalised to UTC (`2026-01-31T09:30:00.000Z`), or null. */
export function toInstant(value: unknown): string | null {
  if (typeof value !== 'string' || !DATE_TIME.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && toCalendarDate(value.slice(0, 10)) !== null ? new Date(ms).toISOString() : null;
}

function scalar(name: string, description: string, specifiedByURL: string, convert: (value: unknown) => string | null, expected: string) {
  const fail = (value: unknown): never => {
    throw new GraphQLError(`${name} must be ${expected}; got ${JSON.stringify(value)}.`);
  };
  return new GraphQLScalarType<string, string>({
    name,
    description,
    specifiedByURL,
    serialize: (value) => convert(value) ?? fail(value),
    parseValue: (value) => convert(value) ?? fail(value),
    parseLiteral: (node: ValueNode) =>
      (node.kind === Kind.STRING ? convert(node.value) : null) ?? fail(node.kind === Kind.STRING ? node.value : node.kind),
  });
}

/** `Date`: a calendar date, `YYYY-MM-DD` (RFC 3339 full-date). */
export const DateScalar = scalar(
  'Date',
  'A calendar date, `YYYY-MM-DD` (RFC 3339 full-date), with no time and no time zone: the same day wherever it is read.',
  'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  toCalendarDate,
  'a calendar date YYYY-MM-DD',
);

/** `DateTime`: an instant, serialized in UTC with milliseconds. */
export const DateTimeScalar = scalar(
  'DateTime',
  'An instant, RFC 3339 with a time zone. Always serialized in UTC with milliseconds, e.g. `2026-01-31T09:30:00.000Z`.',
  'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  toInstant,
  'an RFC 3339 date-time with a time zone',
);
