import { performance } from 'node:perf_hooks';
import type { AttemptObservation, UpstreamObserver } from '../upstream/http.js';
import { RequestTelemetry, type Telemetry } from './request.js';
import { endSpan, SpanKind } from './tracing.js';

/**
 * Upstream traffic as operators see it: a latency observation per attempt (by API and
 * outcome), retries, and, when tracing, a client span per attempt whose context is what the
 * upstream receives as `traceparent`. Null when there is nothing to observe.
 */
export function upstreamObserver(telemetry: Telemetry): UpstreamObserver | undefined {
  const { metrics, tracing } = telemetry;
  if (metrics === undefined && tracing === undefined) return undefined;
  return {
    attempt(service, operation, trace): AttemptObservation {
      const started = performance.now();
      const parent = tracing !== undefined && trace instanceof RequestTelemetry ? trace.parentSpan : undefined;
      const [method, path] = operation.split(' ', 2);
      const span =
        parent === undefined || tracing === undefined
          ? undefined
          : tracing.startChild(parent, operation, SpanKind.CLIENT, {
              'peer.service': service,
              'http.request.method': method ?? 'POST',
              'url.path': path ?? '',
            });
      return {
        ...(span === undefined || tracing === undefined ? {} : { headers: tracing.headersFor(span) }),
        end(outcome) {
          metrics?.upstream(service, outcome, (performance.now() - started) / 1000);
          if (span !== undefined) {
            span.setAttribute('bff.upstream.outcome', outcome);
            const status = /^status_(\d+)$/.exec(outcome)?.[1];
            if (status !== undefined) span.setAttribute('http.response.status_code', Number(status));
            endSpan(span, outcome === 'ok' ? undefined : outcome);
          }
        },
      };
    },
    retried(service) {
      metrics?.retried(service);
    },
  };
}
