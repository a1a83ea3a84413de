import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromChild, ToChild } from './child.js';

/**
 * The benchmark programs' child processes (bench/child.ts, forked with an IPC channel): a
 * request/response channel over IPC and a bounded stop. Shared by run.ts, latency.ts and
 * noisy-neighbour.ts.
 */

/** This checkout's child entry point. */
export const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** This checkout's root. */
export const CHECKOUT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * Compiles a checkout (its src/ and bench/, with its own tsconfig.json) to plain JavaScript in
 * `<root>/.bench-build` and returns its compiled child entry point. Production runs compiled JS
 * (`npm run start:prod`); under tsx every function literal also goes through esbuild's
 * `__name` helper (an Object.defineProperty per closure created), which taxes the servers
 * unevenly: the more closures a request builds, the more it pays.
 */
export function compiledChildEntry(root: string = CHECKOUT_ROOT): string {
  const outDir = join(root, '.bench-build');
  // Emit only: `npm run typecheck` checks types; a measurement patch may leave unused imports.
  execFileSync(
    process.execPath,
    [TSC, '-p', join(root, 'tsconfig.json'), '--noEmit', 'false', '--noCheck', '--sourceMap', 'false', '--outDir', outDir],
    { stdio: 'inherit' },
  );
  return join(outDir, 'bench', 'child.js');
}

/** How to start a child. */
export interface ChildOptions {
  /** Extra Node flags (e.g. `--cpu-prof`). */
  readonly execArgv?: readonly string[];
  /**
   * Entry point (default: this checkout's bench/child.ts; run.ts --before forks another
   * checkout's). A `.js` entry (see compiledChildEntry) runs on plain Node, a `.ts` one under tsx.
   */
  readonly entry?: string;
}

/** A message to a child, without the id `ask` adds. */
export type Question = DistributiveOmit<ToChild, 'id'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A server child's counters at one moment. */
export type Snapshot = Extract<FromChild, { type: 'snapshot' }>;

/** One forked child and its request/response channel. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (message: FromChild) => void; reject: (error: Error) => void }>();
  readonly ready: Promise<FromChild>;
  readonly process: ChildProcess;

  constructor(
    readonly label: string,
    args: string[],
    options: ChildOptions = {},
  ) {
    // NODE_ENV=production as deployed: graphql-js then skips its development-mode checks.
    const entry = options.entry ?? CHILD_ENTRY;
    this.process = fork(entry, args, {
      execArgv: [...(entry.endsWith('.js') ? [] : ['--import', TSX]), ...(options.execArgv ?? [])],
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.process.once('exit', (code) => {
        const error = new Error(`${label} exited with code ${code}`);
        reject(error);
        // A child that dies mid-run fails the questions it left open instead of hanging the run.
        for (const { reject: fail } of this.pending.values()) fail(error);
        this.pending.clear();
      });
      this.process.on('message', (message: FromChild) => {
        if (message.type === 'ready' || message.type === 'result') resolve(message);
        else if (message.type === 'error') reject(new Error(`${label}: ${message.message}`));
        else if ('id' in message) {
          this.pending.get(message.id)?.resolve(message);
          this.pending.delete(message.id);
        }
      });
    });
  }

  /** Sends a request and resolves with the child's answer. */
  ask(message: Question): Promise<FromChild> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.process.send({ ...message, id });
    });
  }

  /** Asks and checks the answer's type. */
  async expect<T extends FromChild['type']>(message: Question, type: T): Promise<Extract<FromChild, { type: T }>> {
    const answer = await this.ask(message);
    if (answer.type !== type) throw new Error(`${this.label}: expected ${type}, got ${answer.type}`);
    return answer as Extract<FromChild, { type: T }>;
  }

  /** CPU time, upstream calls and completed requests of a server child, now. */
  snapshot(): Promise<Snapshot> {
    return this.expect({ type: 'snapshot' }, 'snapshot');
  }

  /** Asks the child to stop; kills it if it has not exited within 5 s. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null) return resolve();
      this.process.once('exit', () => resolve());
      // A child whose channel already closed (it is on its way out) cannot be asked: it is
      // killed instead of failing the run with EPIPE after its results were written.
      if (!this.process.connected) {
        this.process.kill('SIGKILL');
        return;
      }
      this.process.send({ type: 'stop' }, (error) => {
        if (error) this.process.kill('SIGKILL');
      });
      // Bounded: a child that does not stop in time is killed (by its own pid).
      setTimeout(() => this.process.kill('SIGKILL'), 5000).unref();
    });
  }
}
