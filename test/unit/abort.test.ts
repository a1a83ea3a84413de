import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Abort } from '../../src/abort.js';

test('abort runs each listener once, in the order added; the first reason wins; removed listeners never run', () => {
  const abort = new Abort();
  const ran: string[] = [];
  const removed = () => ran.push('removed');
  abort.addEventListener('abort', () => ran.push('first'));
  abort.addEventListener('abort', removed);
  abort.addEventListener('abort', () => ran.push(`second saw ${String(abort.reason)}`));
  abort.removeEventListener('abort', removed);
  expect(abort.aborted).toBe(false);
  abort.abort('deadline');
  abort.abort('budget');
  expect(ran).toEqual(['first', 'second saw deadline']);
  expect(abort.aborted).toBe(true);
  expect(abort.reason).toBe('deadline');
  // Like an AbortSignal's `abort` event, which is dispatched once: a late listener never runs.
  abort.addEventListener('abort', () => ran.push('late'));
  abort.abort('again');
  expect(ran).toEqual(['first', 'second saw deadline']);
});

test('a listener that throws does not keep the others from running; its error reaches the caller afterwards', () => {
  const abort = new Abort();
  const ran: number[] = [];
  abort.addEventListener('abort', () => ran.push(1));
  abort.addEventListener('abort', () => {
    throw new Error('listener failed');
  });
  abort.addEventListener('abort', () => ran.push(3));
  expect(() => abort.abort('stop')).toThrow('listener failed');
  expect(ran).toEqual([1, 3]);
  expect(abort.aborted).toBe(true);
});

test('undici takes it as a request signal: aborting ends a call in flight, with the reason, and closes its connection', async () => {
  let closed: () => void = () => {};
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  let arrived: () => void = () => {};
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  // Never answers: only the abort can end the call.
  const server = createServer((req: IncomingMessage) => {
    req.socket.once('close', () => closed());
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1 });
  try {
    const abort = new Abort();
    const call = pool.request({ method: 'GET', path: '/', signal: abort as unknown as AbortSignal });
    await requestArrived;
    const reason = new Error('request abandoned');
    abort.abort(reason);
    await expect(call).rejects.toBe(reason);
    await connectionClosed;
  } finally {
    await pool.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
