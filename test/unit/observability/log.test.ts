/**
 * Secrets stay out of the log by configuration: whatever a call site passes, fields named like
 * credentials are written as [redacted], at the top level and one level down.
 */
import { createLogger } from '../../../src/log.js';

function capture(level: 'debug' | 'info' = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const log = createLogger(level, (line) => {
    raw.push(line);
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { log, lines, raw };
}

test('authorization headers, tokens, cookies and signatures are redacted wherever a call site puts them', () => {
  const { log, lines, raw } = capture();
  log.warn('upstream.debug', {
    authorization: 'Bearer eyJhbGciOi.secret.sig',
    token: 'eyJ-raw-token',
    headers: {
      authorization: 'Bearer eyJ-nested',
      cookie: 'session=abc',
      'x-bff-signature': 'sha256=deadbeef',
      accept: 'application/json',
    },
    request: { token: 'eyJ-in-request', path: '/graphql' },
  });
  expect(lines[0]).toMatchObject({
    level: 'warn',
    msg: 'upstream.debug',
    authorization: '[redacted]',
    token: '[redacted]',
    headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-bff-signature': '[redacted]', accept: 'application/json' },
    request: { token: '[redacted]', path: '/graphql' },
  });
  expect(raw.join('')).not.toMatch(/eyJ|session=abc|deadbeef/);
});

test('one JSON line per call, with ISO time, level name and message; child loggers add their bindings', () => {
  const { log, lines } = capture('info');
  log.debug('hidden');
  log.info('plain');
  log.child!({ requestId: 'req-1' }).error('bound', { code: 'X' });
  expect(lines).toEqual([
    { level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), msg: 'plain' },
    { level: 'error', time: expect.any(String), requestId: 'req-1', code: 'X', msg: 'bound' },
  ]);
});
