import type { Clock } from '../clock.js';

/**
 * Answers late the refusals of a caller that does not wait as told. A caller over its request
 * rate is refused at the front door with 429 and Retry-After (at least one second); one that is
 * refused again within a second did not wait, and gets each further refusal only after
 * `holdMs`. Held, a refusal costs a timer and an open socket instead of CPU: a client looping
 * on 8 connections gets at most 8 refusals per `holdMs` instead of thousands per second, each
 * of which the server had to parse and answer while other tenants waited. A caller that
 * honours Retry-After is never held. Bounded: at most `maxHeld` refusals wait at once (beyond,
 * they are answered at once), and the last refusal of at most `maxCallers` callers is kept.
 */
export class RefusalHold {
  // Caller -> when it was last refused at the front door; insertion order is recency.
  private readonly lastRefused = new Map<string, number>();
  private held = 0;

  constructor(
    private readonly clock: Clock,
    private readonly holdMs: number,
    private readonly maxHeld = 10_000,
    private readonly maxCallers = 100_000,
  ) {}

  /** `caller` was just refused at the front door: calls `send` now, or after the hold. */
  answer(caller: string, send: () => void): void {
    const now = this.clock.now();
    const last = this.lastRefused.get(caller);
    this.lastRefused.delete(caller);
    this.lastRefused.set(caller, now);
    if (this.lastRefused.size > this.maxCallers) {
      const oldest = this.lastRefused.keys().next().value;
      if (oldest !== undefined) this.lastRefused.delete(oldest);
    }
    if (this.holdMs <= 0 || last === undefined || now - last >= RETRY_AFTER_MIN_MS || this.held >= this.maxHeld) {
      send();
      return;
    }
    this.held++;
    this.clock.schedule(this.holdMs, () => {
      this.held--;
      send();
    });
  }
}

// The shortest Retry-After a refusal carries (it is given in whole seconds, at least 1).
const RETRY_AFTER_MIN_MS = 1000;
