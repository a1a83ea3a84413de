import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry traces, built only when configured. When tracing is off there is no tracer at
 * all (not a no-op one): the code paths that would create spans test one `undefined` and move
 * on, so an untraced BFF does exactly what it did before tracing existed (BENCHMARKS.md,
 * "Tracing overhead", measures it).
 *
 * Parents are passed explicitly (the request's span, then its execute span) rather than through
 * an async context manager: AsyncLocalStorage-based propagation puts a hook on every promise of
 * every request, which is exactly the cost we refuse to pay, and the BFF knows its parents.
 * The provider is never registered globally, so several BFFs in one process (tests) keep
 * their traces apart.
 */

/** Tracing settings, exactly as configured (`config.tracing`). */
export interface TracingSettings {
  /** OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); null: tracing off. */
  readonly otlpUrl: string | null;
  /** Fraction of new traces sampled; a client's sampled flag is honoured (parent-based). */
  readonly sampleRatio: number;
  readonly serviceName: string;
}

/** What tests inject instead of the OTLP exporter: spans are exported one by one, synchronously. */
export interface TracingOverrides {
  readonly exporter?: SpanExporter;
}

/** The tracer of one BFF, and how trace context enters and leaves it. */
export interface Tracing {
  /** Starts the server span of an HTTP request, continuing the client's trace when it sent `traceparent`. */
  startRequest(name: string, headers: IncomingHttpHeaders, attributes: Attributes): Span;
  /** Starts a span under `parent`. */
  startChild(parent: Span, name: string, kind: SpanKind, attributes?: Attributes): Span;
  /** W3C `traceparent` (and `tracestate`) naming `span` as the parent, for an outgoing call. */
  headersFor(span: Span): Record<string, string>;
  /** Exports what is buffered and stops (shutdown step). */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

/** Builds tracing when an endpoint (or a test exporter) is configured; null otherwise. */
export function createTracing(settings: TracingSettings, overrides: TracingOverrides = {}): Tracing | null {
  const exporter = overrides.exporter ?? (settings.otlpUrl === null ? null : new OTLPTraceExporter({ url: settings.otlpUrl }));
  if (exporter === null) return null;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    // Tests read spans as soon as a request ends; production batches (bounded queue: spans
    // are dropped, never buffered without limit, when the collector is slow).
    spanProcessors: [overrides.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter, maxQueueSize: 4096 })],
  });
  const tracer: Tracer = provider.getTracer('shielded-bff');
  return {
    startRequest(name, headers, attributes) {
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    },
    startChild(parent, name, kind, attributes) {
      return tracer.startSpan(name, { kind, ...(attributes ? { attributes } : {}) }, trace.setSpan(ROOT_CONTEXT, parent));
    },
    headersFor(span) {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
      return carrier;
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}

/** Ends `span` with an error status when `error` names one. */
export function endSpan(span: Span, error?: string): void {
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}

// `traceparent` as W3C Trace Context level 1 writes it (version 00): passed on unchanged when
// tracing is off, and only when well-formed, so a client cannot smuggle arbitrary text upstream.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** The client's W3C trace headers, if well-formed, to pass through an untraced BFF. */
export function passThroughTraceHeaders(headers: IncomingHttpHeaders): Record<string, string> | null {
  const parent = headers.traceparent;
  if (typeof parent !== 'string' || !TRACEPARENT.test(parent)) return null;
  const state = headers.tracestate;
  return typeof state === 'string' && TRACESTATE.test(state) ? { traceparent: parent, tracestate: state } : { traceparent: parent };
}

export { SpanKind };
