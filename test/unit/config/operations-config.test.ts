/**
 * The operations settings are validated with the rest: every problem listed at once, and
 * credentials never echoed back in the message (it ends up in a deployment's logs).
 */
import { ConfigError, loadConfig } from '../../../src/config.js';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('bad Redis, metrics, tracing and notification settings are all listed, and no credential is echoed', () => {
  const listed = problems({
    REDIS_URL: 'https://user:hunter2-password@redis.internal',
    METRICS_TOKEN: 'short-tok',
    LICENSE_NOTIFICATION_SECRET: 'too-short-secret-value',
    TRACING_SAMPLE_RATIO: '1.5',
    TRACING_OTLP_URL: 'collector:4318',
    REDIS_LIMITS_ON_ERROR: 'maybe',
    METRICS_PORT: '4000',
  });
  for (const name of [
    'REDIS_URL',
    'METRICS_TOKEN',
    'LICENSE_NOTIFICATION_SECRET',
    'TRACING_SAMPLE_RATIO',
    'TRACING_OTLP_URL',
    'REDIS_LIMITS_ON_ERROR',
    'METRICS_PORT: must differ from PORT',
  ]) {
    expect(listed).toContain(name);
  }
  expect(listed).not.toMatch(/hunter2|short-tok|too-short-secret/);
  expect(listed).toContain('(got "1.5")');
});

test('Redis and tracing are off by default; set, they take the documented shape', () => {
  const defaults = loadConfig({});
  expect(defaults.redis).toBeNull();
  expect(defaults.tracing.otlpUrl).toBeNull();
  expect(defaults.metrics).toEqual({ port: null, token: null });
  expect(defaults.licenseNotifications).toBeNull();
  const set = loadConfig({
    REDIS_URL: 'rediss://:pw@redis:6380/2',
    REQUEST_TIMEOUT_MS: '20000',
    TRACING_OTLP_URL: 'http://collector:4318/v1/traces',
    TRACING_SAMPLE_RATIO: '0.25',
    LICENSE_NOTIFICATION_SECRET: 'x'.repeat(32),
  });
  expect(set.redis).toEqual({
    url: 'rediss://:pw@redis:6380/2',
    keyPrefix: 'bff:',
    commandTimeoutMs: 250,
    limitsOnError: 'local',
    slotTtlMs: 40_000,
  });
  expect(set.tracing).toEqual({ otlpUrl: 'http://collector:4318/v1/traces', sampleRatio: 0.25, serviceName: 'shielded-bff' });
  expect(set.licenseNotifications).toEqual({ secret: 'x'.repeat(32), toleranceMs: 300_000 });
});
