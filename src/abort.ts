/**
 * What can end a piece of work early: the part of `AbortSignal` this code and undici read
 * (`aborted`, `reason`, and an `abort` listener). A real `AbortSignal` is one; so is `Abort`.
 */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A one-shot abort signal without an EventTarget behind it. Every GraphQL request needs one
 * (its execution budget) and every upstream call another (its timeout or the request's
 * abandonment): as `AbortController`s those cost about 14% of the CPU of a small request
 * (`createAbortSignal` and the EventTarget listener bookkeeping, in CPU profiles of S1).
 *
 * Semantics are the signal's: `abort` runs each listener once, in the order they were added,
 * and only the first call counts; a listener added after the abort never runs (read `aborted`
 * first). undici accepts it as a request's `signal`: it only uses the members above.
 */
export class Abort implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index !== -1) listeners.splice(index, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners === undefined) return;
    // One failing listener does not keep the others from running; the first failure is thrown
    // once they all ran.
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }
}
