import { pino, stdTimeFunctions } from 'pino';

/**
 * Structured logging: one JSON object per line, written by pino. Call sites keep the small
 * `Logger` interface (`info(msg, fields)`), so a test can pass a recording logger and nothing
 * else in the code knows pino exists.
 *
 * Secrets are kept out by configuration, not by care: every field named in `REDACTED_PATHS`
 * (authorization headers, tokens, cookies, signatures, secrets), at the top level or one level
 * down, is written as `[redacted]` whoever logs it.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Minimal logger interface; tests pass one that records lines. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger adding `bindings` (e.g. the request id) to every line; absent on simple test loggers. */
  child?(bindings: Record<string, unknown>): Logger;
}

// Field names whose values are credentials. `*.x` covers one level of nesting (`headers.authorization`,
// `request.token`); pino's redaction is compiled once, so listing paths costs nothing per line.
const SECRET_FIELDS = [
  'authorization',
  'Authorization',
  'token',
  'accessToken',
  'access_token',
  'idToken',
  'id_token',
  'refreshToken',
  'refresh_token',
  'bearer',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'signature',
  'x-bff-signature',
  'metricsToken',
];

/** Field paths pino writes as `[redacted]` (exported for the test that proves it). */
export const REDACTED_PATHS: readonly string[] = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)].map((path) =>
  // pino's paths are JavaScript property accesses: names with a dash need bracket notation.
  path.includes('-') ? path.replace(/(\*\.)?(.+)/, (_, star: string | undefined, name: string) => `${star ? '*' : ''}["${name}"]`) : path,
);

/** A logger writing JSON lines to `write` (stderr by default) at or above `level`. */
export function createLogger(level: LogLevel, write?: (line: string) => void): Logger {
  const destination = write === undefined ? pino.destination({ dest: 2, sync: true }) : { write };
  const root = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    destination,
  );
  return wrap(root);
}

function wrap(logger: pino.Logger): Logger {
  // Levels below the threshold are no-ops bound once, so a debug line costs nothing in production.
  const at = (level: 'debug' | 'info' | 'warn' | 'error') =>
    logger.isLevelEnabled(level)
      ? (msg: string, fields?: Record<string, unknown>) => (fields === undefined ? logger[level](msg) : logger[level](fields, msg))
      : () => {};
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}

/**
 * A logger adding `bindings` to every line it writes. Nothing is built until a line is written
 * (a pino child is built at once, a cost every request would pay for lines it rarely writes).
 */
export function withFields(log: Logger, bindings: Record<string, unknown>): Logger {
  const at = (write: (msg: string, fields?: Record<string, unknown>) => void) => (msg: string, fields?: Record<string, unknown>) =>
    write(msg, fields === undefined ? bindings : { ...bindings, ...fields });
  return {
    debug: at((msg, fields) => log.debug(msg, fields)),
    info: at((msg, fields) => log.info(msg, fields)),
    warn: at((msg, fields) => log.warn(msg, fields)),
    error: at((msg, fields) => log.error(msg, fields)),
    child: (more) => withFields(log, { ...bindings, ...more }),
  };
}
