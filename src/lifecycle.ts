import type { Clock } from './clock.js';
import type { Logger } from './log.js';

/**
 * Readiness and shutdown of one instance, in one place. Readiness is "listening, not
 * draining, and every registered check passes" (issuer keys loaded, not every upstream
 * circuit open, ...). Shutdown turns readiness false first, waits for load balancers to
 * notice, then runs the registered stop steps newest first (so the HTTP server drains while
 * the upstream pools it needs are still open).
 */
export class Lifecycle {
  private listening = false;
  private draining = false;
  private stopping: Promise<void> | undefined;
  private readonly checks: { name: string; check: () => boolean }[] = [];
  private readonly degradations: { name: string; check: () => boolean }[] = [];
  private readonly steps: { name: string; step: () => Promise<void> }[] = [];
  private lastFailing = '';

  constructor(
    private readonly options: {
      readonly clock: Clock;
      readonly log: Logger;
      /** How long readiness reads false before the first stop step runs. */
      readonly shutdownDelayMs: number;
    },
  ) {}

  /** Adds a condition readiness requires (evaluated at every probe). */
  requireReady(name: string, check: () => boolean): void {
    this.checks.push({ name, check });
  }

  /**
   * Adds a dependency whose failure is reported but does not take the instance out of traffic
   * (`check` true while degraded): the instance still serves, only less well (e.g. limits per
   * instance while Redis is down). `/readyz` names it; the dependency logs its own outage.
   */
  degradedBy(name: string, check: () => boolean): void {
    this.degradations.push({ name, check });
  }

  /** Names of the dependencies degraded now. */
  degraded(): string[] {
    return this.degradations.filter((d) => d.check()).map((d) => d.name);
  }

  /** Adds a shutdown step; steps run in reverse order of registration. */
  onStop(name: string, step: () => Promise<void>): void {
    this.steps.push({ name, step });
  }

  /** The server is listening: from now on readiness is decided by the checks. */
  markListening(): void {
    this.listening = true;
  }

  /** True while the instance should receive traffic. The failing check is logged (the probe itself says nothing). */
  ready(): boolean {
    const failing = !this.listening ? 'not listening' : this.draining ? 'draining' : (this.checks.find((c) => !c.check())?.name ?? '');
    if (failing !== this.lastFailing) {
      this.lastFailing = failing;
      if (failing === '') this.options.log.info('readiness.ready');
      else this.options.log.warn('readiness.not_ready', { reason: failing });
    }
    return failing === '';
  }

  /** True once shutdown has begun. */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Readiness false, a pause of `shutdownDelayMs` while requests are still served, then every
   * stop step (a failing step is logged and the next still runs). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<void> {
    const { clock, log, shutdownDelayMs } = this.options;
    this.draining = true;
    log.info('shutdown.draining', { delayMs: shutdownDelayMs });
    if (shutdownDelayMs > 0) await clock.sleep(shutdownDelayMs);
    for (const { name, step } of [...this.steps].reverse()) {
      try {
        await step();
      } catch (error) {
        log.warn('shutdown.step_failed', { step: name, error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.listening = false;
  }

  /**
   * SIGTERM and SIGINT stop the instance, then exit 0 (1 when stopping fails). A drain that
   * takes longer than `forceAfterMs` (or a second signal) ends the process anyway.
   */
  handleSignals(target: NodeJS.Process, forceAfterMs = 25_000): void {
    const { log } = this.options;
    let signalled = false;
    const onSignal = (signal: string) => {
      if (signalled) {
        log.warn('shutdown.forced', { signal });
        target.exit(1);
      }
      signalled = true;
      log.info('shutdown.started', { signal });
      // Real time on purpose: this guards against a stuck drain, whatever clock the app runs on.
      setTimeout(() => target.exit(1), forceAfterMs).unref();
      this.stop().then(
        () => {
          log.info('shutdown.finished', { signal });
          target.exit(0);
        },
        (error: unknown) => {
          log.error('shutdown.failed', { error: String(error) });
          target.exit(1);
        },
      );
    };
    target.on('SIGTERM', () => onSignal('SIGTERM'));
    target.on('SIGINT', () => onSignal('SIGINT'));
  }
}
