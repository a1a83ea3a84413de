/**
 * Structured logging: one JSON object per line. Tokens never reach this module; callers
 * pass the fields they mean to log and nothing else.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Minimal logger interface; tests pass one that records lines. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A logger writing JSON lines to `write` (stderr by default) at or above `level`. */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) =>
    RANK[lineLevel] < RANK[level]
      ? () => {}
      : (msg: string, fields: Record<string, unknown> = {}) =>
          write(`${JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg, ...fields })}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
