import type { Denial } from './authz/apply.js';
import type { Logger } from './log.js';

/**
 * What happened to one request, field by field, written as a few summary lines when it ends.
 * One query can deny 10,000 fields (a hidden email in every row); the log must not grow with
 * that: at most one `authz.denied` line per request (counts per coordinate and rule, the
 * first paths), one `authz.rule_failed` line, and the first few denials in detail at debug.
 */

/** How much of a request's detail the summary keeps. */
export interface RequestLogLimits {
  /** Paths kept per group (coordinate + rule + reason). */
  readonly pathsPerGroup: number;
  /** Groups kept per summary line (the rest are counted). */
  readonly groups: number;
  /** Denials written one by one at debug level (sampled detail). */
  readonly detailed: number;
}

const DEFAULT_LIMITS: RequestLogLimits = { pathsPerGroup: 3, groups: 20, detailed: 5 };

interface DenialGroup {
  readonly field: string;
  readonly rule: string;
  readonly reason: string;
  readonly kind: Denial['kind'];
  count: number;
  readonly paths: string[];
}

/** Who a request ran for, added to every summary line. */
export interface RequestFacts {
  readonly subject: string;
  readonly clientId: string | null;
  readonly customerId: string | null;
  readonly operationName?: string | null;
}

/** Collects one request's per-field events; `flush` writes the summary once. */
export class RequestLog {
  private readonly denials = new Map<string, DenialGroup>();
  private denialCount = 0;
  private readonly failures = new Map<string, { count: number; error: string }>();
  private flushed = false;

  constructor(
    private readonly log: Logger,
    private readonly limits: RequestLogLimits = DEFAULT_LIMITS,
  ) {}

  /** An authorization decision withheld something. */
  denied(denial: Denial): void {
    this.denialCount++;
    if (this.denialCount <= this.limits.detailed) this.log.debug('authz.denied.detail', { ...denial });
    const key = `${denial.field}\u0000${denial.rule}\u0000${denial.reason}\u0000${denial.kind}`;
    let group = this.denials.get(key);
    if (group === undefined) {
      if (this.denials.size >= this.limits.groups) return;
      group = { field: denial.field, rule: denial.rule, reason: denial.reason, kind: denial.kind, count: 0, paths: [] };
      this.denials.set(key, group);
    }
    group.count++;
    if (group.paths.length < this.limits.pathsPerGroup) group.paths.push(denial.path);
  }

  /** A rule threw or rejected (it denied); the first error message per rule is kept. */
  ruleFailed(rule: string, error: unknown): void {
    const entry = this.failures.get(rule);
    if (entry !== undefined) entry.count++;
    else this.failures.set(rule, { count: 1, error: error instanceof Error ? error.message : String(error) });
  }

  /** Denials recorded so far (tests and metrics read it). */
  get deniedCount(): number {
    return this.denialCount;
  }

  /** Writes the summary lines (at most once per request). */
  flush(facts: RequestFacts): void {
    if (this.flushed) return;
    this.flushed = true;
    if (this.denialCount > 0) {
      const groups = [...this.denials.values()];
      this.log.info('authz.denied', {
        ...facts,
        denied: this.denialCount,
        groups,
        ...(groups.reduce((sum, g) => sum + g.count, 0) < this.denialCount ? { groupsOmitted: true } : {}),
      });
    }
    if (this.failures.size > 0) {
      this.log.warn('authz.rule_failed', { ...facts, rules: Object.fromEntries(this.failures) });
    }
  }
}
