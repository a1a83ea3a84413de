/**
 * A small circuit breaker, one per upstream. Written here rather than taken from a library
 * because the one we would use (opossum 10) needs Node 22, and the behaviour we need fits
 * in a page: closed → open after `failureThreshold` failures within `windowMs`; open fails
 * fast for `resetMs`; then half-open lets exactly one probe through, whose outcome closes
 * or re-opens the circuit.
 */

/** Tuning of one breaker; all three come from configuration. */
export interface BreakerOptions {
  /** Failures within `windowMs` that open the circuit; 0 disables the breaker. */
  readonly failureThreshold: number;
  /** Length of the rolling window failures are counted in. */
  readonly windowMs: number;
  /** How long an open circuit fails fast before letting one probe through. */
  readonly resetMs: number;
  /** The clock's `now` (one clock for every timed decision). */
  readonly now: () => number;
  /** Called on every transition, for the log. */
  readonly onStateChange?: (state: BreakerState, previous: BreakerState) => void;
}

/** `half-open` is reported once an open circuit's reset time has passed. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** What `acquire` hands out: report the outcome of the call exactly once. */
export interface BreakerTicket {
  success(): void;
  failure(): void;
  /** The call was abandoned by its caller: it says nothing about the upstream's health. */
  release(): void;
}

/** The circuit breaker of one upstream. */
export class CircuitBreaker {
  private readonly now: () => number;
  private failures: number[] = [];
  private openedAt: number | null = null;
  private probing = false;
  private reported: BreakerState = 'closed';

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now;
  }

  /** The state as callers see it now (an open circuit past its reset time reads half-open). */
  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.options.resetMs ? 'half-open' : 'open';
  }

  /**
   * Asks to make a call: a ticket to report its outcome on, or null when the circuit is open
   * (or half-open with its one probe already in flight) and the caller must fail fast.
   */
  acquire(): BreakerTicket | null {
    if (this.options.failureThreshold === 0) return NO_OP_TICKET;
    const state = this.state;
    if (state === 'open') return null;
    if (state === 'half-open') {
      if (this.probing) return null;
      this.probing = true;
      this.transition('half-open');
      return this.ticket(true);
    }
    return this.ticket(false);
  }

  private ticket(probe: boolean): BreakerTicket {
    let settled = false;
    const settle = (ok: boolean | null) => {
      if (settled) return;
      settled = true;
      if (probe) this.probing = false;
      if (ok === true) this.onSuccess(probe);
      else if (ok === false) this.onFailure(probe);
    };
    return { success: () => settle(true), failure: () => settle(false), release: () => settle(null) };
  }

  private onSuccess(probe: boolean): void {
    // A success while closed says nothing about failures in the window: only a probe resets.
    if (!probe) return;
    this.failures = [];
    this.openedAt = null;
    this.transition('closed');
  }

  private onFailure(probe: boolean): void {
    const now = this.now();
    if (probe) {
      this.open(now);
      return;
    }
    // A call started before the circuit opened: already counted in, nothing to add.
    if (this.openedAt !== null) return;
    this.failures.push(now);
    const horizon = now - this.options.windowMs;
    while (this.failures.length > 0 && this.failures[0]! <= horizon) this.failures.shift();
    if (this.failures.length >= this.options.failureThreshold) this.open(now);
  }

  private open(now: number): void {
    this.openedAt = now;
    this.failures = [];
    this.transition('open');
  }

  private transition(state: BreakerState): void {
    if (state === this.reported) return;
    const previous = this.reported;
    this.reported = state;
    this.options.onStateChange?.(state, previous);
  }
}

const NO_OP_TICKET: BreakerTicket = { success: () => {}, failure: () => {}, release: () => {} };
