/**
 * The main side of the execution worker against a stand-in thread: what it answers does not
 * depend on the worker answering. (The real thread is tested over HTTP in
 * test/integration/execution-worker.test.ts.)
 */
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { ExecutionWorker, type WorkerThread } from '../../../src/execution/executor.js';
import type { FromWorker, ToWorker, WorkerSettings } from '../../../src/execution/protocol.js';
import { createLogger } from '../../../src/log.js';
import type { Upstreams } from '../../../src/upstream/index.js';
import { contextFor } from '../../helpers/context.js';

/** A thread that is ready at once, records what it is sent, and answers only when told. */
class StandIn extends EventEmitter implements WorkerThread {
  readonly received: ToWorker[] = [];
  postMessage(message: ToWorker): void {
    this.received.push(message);
  }
  reply(message: FromWorker): void {
    this.emit('message', message);
  }
  async terminate(): Promise<number> {
    this.emit('exit', 0);
    return 0;
  }
}

const TIMEOUT_MS = loadConfig({}).execution.timeoutMs;
// Never called: the stand-in thread executes nothing, and the identity below is not looked up.
const upstreams = {} as Upstreams;

function setup() {
  const thread = new StandIn();
  const lines: Record<string, unknown>[] = [];
  const executor = new ExecutionWorker(
    { upstream: {}, urls: {}, maxPageSize: 100, execution: loadConfig({}).execution } as unknown as Omit<WorkerSettings, 'smallRequests'>,
    {
      log: createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      spawn: () => {
        setImmediate(() => thread.reply({ type: 'ready', priority: { unchanged: 'a stand-in thread' } }));
        return thread;
      },
    },
  );
  return { thread, executor, lines };
}

const request = { source: '{ __typename }', operationName: null, operationNameForLog: null, variables: undefined };
const sent = async (thread: StandIn, type: ToWorker['type']) => {
  while (!thread.received.some((message) => message.type === type)) await new Promise((resolve) => setImmediate(resolve));
  return thread.received.find((message) => message.type === type)!;
};

test("a request the main thread's deadline ends is answered at once, even by a worker that never answers", async () => {
  const { thread, executor, lines } = setup();
  const clock = new ManualClock();
  const ctx = contextFor('alice', upstreams, clock);
  try {
    const outcome = executor.run(ctx, request, 50_000);
    const run = await sent(thread, 'run');
    clock.advance(TIMEOUT_MS);
    await expect(outcome).resolves.toEqual({
      stopped: expect.objectContaining({ extensions: expect.objectContaining({ code: 'REQUEST_TIMEOUT' }) }),
    });
    // The worker is told to stop the same job.
    const abort = await sent(thread, 'abort');
    expect(abort).toMatchObject({ id: run.type === 'run' ? run.job.id : -1 });
    // When the worker ends it after all, its log lines still arrive, and nothing else happens.
    thread.reply({
      type: 'done',
      id: abort.type === 'abort' ? abort.id : -1,
      outcome: { stopped: null },
      events: [{ type: 'log', level: 'info', msg: 'worker.line', fields: { late: true } }],
    });
    expect(lines.filter((line) => line.msg === 'worker.line')).toEqual([expect.objectContaining({ late: true })]);

    // The next request runs and is answered by the worker as usual.
    const next = executor.run(contextFor('alice', upstreams, clock), request, 50_000);
    while (thread.received.filter((message) => message.type === 'run').length < 2) await new Promise((resolve) => setImmediate(resolve));
    const second = thread.received.filter((message) => message.type === 'run')[1]!;
    thread.reply({ type: 'done', id: second.type === 'run' ? second.job.id : -1, outcome: { stopped: null, data: null }, events: [] });
    await expect(next).resolves.toEqual({ stopped: null, data: null });
  } finally {
    ctx.scope.end();
    await executor.close();
  }
});
