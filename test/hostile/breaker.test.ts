/**
 * The circuit breaker and the retry policy on their own, with a hand-driven clock and a
 * tiny upstream: exact transitions, and which failures count, retry, or neither.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/clock.js';
import { UpstreamUnavailableError } from '../../src/errors.js';
import { CircuitBreaker, type BreakerState } from '../../src/upstream/breaker.js';
import { retryDelay, UpstreamHttp, UpstreamStatusError } from '../../src/upstream/http.js';

function breaker(overrides: { failureThreshold?: number; windowMs?: number; resetMs?: number } = {}) {
  let now = 1_000_000;
  const transitions: string[] = [];
  const b = new CircuitBreaker({
    failureThreshold: 3,
    windowMs: 1000,
    resetMs: 500,
    now: () => now,
    onStateChange: (state: BreakerState, previous: BreakerState) => transitions.push(`${previous}->${state}`),
    ...overrides,
  });
  const fail = () => b.acquire()!.failure();
  return { b, fail, transitions, advance: (ms: number) => (now += ms) };
}

test('breaker: opens after the threshold of failures within the window, then fails fast', () => {
  const { b, fail, transitions } = breaker();
  fail();
  fail();
  expect(b.state).toBe('closed');
  fail();
  expect(b.state).toBe('open');
  expect(b.acquire()).toBeNull();
  expect(transitions).toEqual(['closed->open']);
});

test('breaker: failures spread beyond the rolling window do not open it', () => {
  const { b, fail, advance } = breaker();
  for (let i = 0; i < 10; i++) {
    fail();
    advance(600);
  }
  expect(b.state).toBe('closed');
});

test('breaker: after the reset time exactly one probe goes through; its success closes the circuit', () => {
  const { b, fail, advance, transitions } = breaker();
  for (let i = 0; i < 3; i++) fail();
  advance(499);
  expect(b.acquire()).toBeNull();
  advance(1);
  expect(b.state).toBe('half-open');
  const probe = b.acquire();
  expect(probe).not.toBeNull();
  expect(b.acquire()).toBeNull(); // concurrent callers still fail fast while the probe runs
  probe!.success();
  expect(b.state).toBe('closed');
  expect(b.acquire()).not.toBeNull();
  expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
});

test('breaker: a failed probe re-opens the circuit for another reset period', () => {
  const { b, fail, advance } = breaker();
  for (let i = 0; i < 3; i++) fail();
  advance(500);
  b.acquire()!.failure();
  expect(b.state).toBe('open');
  advance(499);
  expect(b.acquire()).toBeNull();
  advance(1);
  expect(b.acquire()).not.toBeNull();
});

test('breaker: stragglers finishing after it opened neither extend nor close the open period', () => {
  const { b, advance } = breaker();
  const inFlight = [b.acquire()!, b.acquire()!, b.acquire()!, b.acquire()!];
  inFlight[0]!.failure();
  inFlight[1]!.failure();
  inFlight[2]!.failure();
  advance(400);
  inFlight[3]!.success();
  expect(b.state).toBe('open');
  advance(100);
  expect(b.state).toBe('half-open');
});

test('breaker: threshold 0 disables it', () => {
  const { b, fail } = breaker({ failureThreshold: 0 });
  for (let i = 0; i < 100; i++) fail();
  expect(b.state).toBe('closed');
});

test('retry delay is jittered between 50% and 150% of the base', () => {
  expect(retryDelay(100, () => 0)).toBe(50);
  expect(retryDelay(100, () => 0.999999)).toBe(150);
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const delays = new Set(Array.from({ length: 50 }, () => retryDelay(100, random)));
  expect(delays.size).toBeGreaterThan(20);
  for (const delay of delays) {
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(150);
  }
});

describe('UpstreamHttp against a scripted upstream', () => {
  let server: Server;
  let baseUrl: string;
  let status = 200;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [], code: 'X' })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    hits = 0;
  });

  const client = () =>
    new UpstreamHttp({
      service: 'scripted',
      baseUrl,
      timeoutMs: 500,
      maxConnections: 2,
      maxBodyBytes: 1024 * 1024,
      readRetries: 1,
      retryDelayMs: 0,
      clock: systemClock,
      breaker: { failureThreshold: 2, windowMs: 10_000, resetMs: 60_000 },
    });

  test('4xx answers are the upstream working: never retried, never trip the breaker', async () => {
    status = 404;
    const http = client();
    for (let i = 0; i < 5; i++) await expect(http.read('/x', {})).rejects.toBeInstanceOf(UpstreamStatusError);
    expect(hits).toBe(5);
    expect(http.breaker!.state).toBe('closed');
    await http.close();
  });

  test('5xx answers: reads retried once, writes never; both count toward the breaker', async () => {
    status = 503;
    const http = client();
    await expect(http.request('POST', '/write', {})).rejects.toBeInstanceOf(UpstreamStatusError);
    expect(hits).toBe(1);
    // The read's first attempt is the second failure and opens the circuit; its retry then
    // fails fast without a call.
    await expect(http.read('/read', {})).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(hits).toBe(2);
    expect(http.breaker!.state).toBe('open');
    const fast = http.read('/read', {});
    await expect(fast).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(hits).toBe(2);
    await http.close();
  });
});
