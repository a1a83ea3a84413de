import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { BffError, type ErrorCode } from '../errors.js';
import type { BusinessIdentity } from '../auth/identity.js';
import type { IdentityRejection } from '../auth/linking.js';
import type { Principal } from '../auth/principal.js';
import type { ExecutionLimits } from '../limits/budget.js';
import type { UpstreamName, UpstreamSettings } from '../upstream/index.js';
import type { ThreadPriority } from './priority.js';

/**
 * The messages between the main thread and the execution worker (see `ExecutionWorker`). Every
 * value crosses by structured clone: plain data only, no functions, no class instances that
 * must keep their prototype.
 */

/** What the worker is started with (`workerData`): enough to open its own upstream pools. */
export interface WorkerSettings {
  readonly upstream: UpstreamSettings;
  readonly urls: Readonly<Record<UpstreamName, string>>;
  readonly maxPageSize: number;
  readonly execution: ExecutionLimits;
  /** The main thread's count of smaller requests in flight: large work here steps back for them (see budget.ts). */
  readonly smallRequests: SharedArrayBuffer;
  /** How many nice values below the main thread the worker runs (`EXECUTION_WORKER_NICE`; 0: the same). */
  readonly nice: number;
}

/** One request to execute: an operation the main thread parsed, validated, estimated and admitted. */
export interface ExecutionJob {
  readonly id: number;
  readonly source: string;
  readonly operationName: string | null;
  readonly variables: Record<string, unknown> | undefined;
  readonly principal: Principal;
  /** The request's estimate (the worker's budget runs it as large, see `ExecutionBudget.expect`). */
  readonly objects: number;
  /** The main thread's clock at dispatch: license validity and the like are judged on it. */
  readonly now: number;
  readonly requestId: string | null;
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** The caller's identity when the main thread already knows it (it usually does): no question to ask. */
  readonly identity?: { readonly known: BusinessIdentity; readonly rejection: IdentityRejection | null };
  readonly operationNameForLog: string | null;
}

/** An error that ended a request, as it crosses (a `BffError` is rebuilt from it). */
export interface StoppedBy {
  readonly message: string;
  readonly extensions: Record<string, unknown>;
}

/** Main thread to worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly job: ExecutionJob }
  | { readonly type: 'abort'; readonly id: number; readonly error: StoppedBy }
  | {
      readonly type: 'identity';
      readonly id: number;
      readonly answer: { readonly known: BusinessIdentity; readonly rejection: IdentityRejection | null } | null;
      /** Why the lookup failed, when it failed with an error of ours (e.g. UPSTREAM_UNAVAILABLE). */
      readonly error?: StoppedBy;
    }
  | {
      readonly type: 'entitlements';
      readonly id: number;
      readonly customerId: string;
      readonly features: readonly string[] | null;
      readonly error?: StoppedBy;
    };

/** What executing one job gave: the response's parts, or why it was abandoned. */
export interface ExecutionOutcome {
  /**
   * `result.data` as its JSON text in UTF-8, made in the worker and transferred (not copied):
   * the main thread writes it as it is. Null when `data` is null; absent when there is none.
   */
  readonly data?: Uint8Array | null;
  /** Already through `formatError` and grouped. */
  readonly errors?: readonly GraphQLFormattedError[];
  /** Set when the worker's budget abandoned the request (deadline, response size). */
  readonly stopped: StoppedBy | null;
}

/** What the worker tells the main thread in passing: log lines and metrics, sent in batches. */
export type WorkerEvent =
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly msg: string;
      readonly fields?: Record<string, unknown>;
    }
  | { readonly type: 'denied'; readonly rule: string; readonly field: string }
  | { readonly type: 'upstream'; readonly service: string; readonly outcome: string; readonly seconds: number }
  | { readonly type: 'retried'; readonly service: string };

/** Worker to main thread. A message costs tens of µs on each side: events ride along with a job's answer, or go in one batch per turn. */
export type FromWorker =
  | { readonly type: 'ready'; readonly priority: ThreadPriority }
  | { readonly type: 'events'; readonly events: readonly WorkerEvent[] }
  | { readonly type: 'done'; readonly id: number; readonly outcome: ExecutionOutcome; readonly events: readonly WorkerEvent[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: string; readonly events: readonly WorkerEvent[] }
  | { readonly type: 'identity?'; readonly id: number }
  | { readonly type: 'entitlements?'; readonly id: number; readonly customerId: string };

/** A failed lookup as the worker throws it: the error of ours it was, or a plain one. */
export function lookupFailure(what: string, error: StoppedBy | undefined): Error {
  return error === undefined ? new Error(`${what} failed`) : rebuildError(error);
}

/** What crosses of a lookup's failure: an error of ours whole, anything else as nothing (it is logged where it happened). */
export function failureOf(error: unknown): { readonly error?: StoppedBy } {
  return error instanceof GraphQLError ? { error: stoppedBy(error) } : {};
}

/** The BffError `stopped` describes (its class does not cross; its message, code and extensions do). */
export function rebuildError(stopped: StoppedBy): BffError {
  const { code, ...extensions } = stopped.extensions;
  return new BffError(stopped.message, code as ErrorCode, extensions);
}

/** What crosses of `error`. */
export function stoppedBy(error: Pick<BffError, 'message' | 'extensions'>): StoppedBy {
  return { message: error.message, extensions: { ...error.extensions } };
}
