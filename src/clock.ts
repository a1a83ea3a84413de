import type { AbortLike } from './abort.js';

/**
 * Time as a dependency. Everything that waits or expires (breakers, key cooldowns, caches,
 * license validity, rate limits, deadlines, retry pauses) takes one `Clock`, so tests move
 * time by hand instead of sleeping, and pass on a loaded machine.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once `ms` have passed on this clock; returns a function that cancels it. */
  schedule(ms: number, callback: () => void): () => void;
  /** Resolves once `ms` have passed on this clock; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortLike): Promise<void>;
}

/** The real clock. Its timers never keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, callback) {
    const timer = setTimeout(callback, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
};

/** A clock that only moves when told to: `advance` runs every timer that falls due, in order. */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 0;

  constructor(start = Date.UTC(2026, 10, 30, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(ms: number, callback: () => void): () => void {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), callback });
    return () => {
      this.timers.delete(id);
    };
  }

  sleep(ms: number, signal?: AbortLike): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers waiting to fire (tests assert that nothing is left behind). */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in time order (a timer may schedule more). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`a clock does not go back (advance(${ms}))`);
    const target = this.current + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= target && (due === undefined || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (due === undefined || dueId === undefined) break;
      this.timers.delete(dueId);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }
}

function sleepOn(clock: Clock, ms: number, signal?: AbortLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      cancel();
      reject(signal!.reason);
    };
    const cancel = clock.schedule(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
