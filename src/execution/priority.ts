import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * The scheduling priority of the calling thread. On Linux a thread has a nice value of its
 * own: the execution worker lowers its own, so that on a busy machine the kernel gives a core
 * to the main thread (everyone's small requests, `/healthz`) before it gives one to a large
 * query. Lowered relative to the process (never raised, which would need privileges).
 *
 * A thread the lowered one creates inherits its nice value. The one such thread that could
 * matter is libuv's pool (file reads, DNS lookups, WebCrypto's signature checks), shared by the
 * whole process: it is started by whichever thread uses it first, and in an ES module program,
 * as this one is, that is the main thread loading its entry point (7 threads before, 11 after),
 * long before the worker exists. The integration test checks that no other thread is lowered.
 */

/** What `lowerThreadPriority` did, as the start-up log line says it. */
export type ThreadPriority = { readonly thread: number; readonly nice: number } | { readonly unchanged: string };

// Beyond this nice value the kernel has no lower priority.
const LOWEST = 19;

/** Puts the calling thread `steps` nice values below its process's main thread (at most 19); 0 leaves it. */
export function lowerThreadPriority(steps: number): ThreadPriority {
  if (steps === 0) return { unchanged: 'EXECUTION_WORKER_NICE is 0' };
  if (process.platform !== 'linux') return { unchanged: `a thread's own priority is set on Linux only, not ${process.platform}` };
  try {
    // "<pid>/task/<tid>": the kernel's id of this thread, which setpriority(2) takes for one thread.
    const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const nice = Math.min(LOWEST, getPriority(process.pid) + steps);
    setPriority(thread, nice);
    return { thread, nice: getPriority(thread) };
  } catch (error) {
    return { unchanged: error instanceof Error ? error.message : String(error) };
  }
}
