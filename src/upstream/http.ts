import { Pool } from 'undici';
import { UpstreamUnavailableError } from '../errors.js';

/** How one upstream API is reached. */
export interface UpstreamHttpOptions {
  /** Service name used in errors and logs, e.g. "billing". */
  readonly service: string;
  readonly baseUrl: string;
  /** Whole-call budget: connect, headers and body. */
  readonly timeoutMs: number;
  readonly maxConnections: number;
  /** Responses larger than this are abandoned, never buffered. */
  readonly maxBodyBytes?: number;
}

/** A non-2xx answer from an upstream, kept server-side: its body never reaches a client. */
export class UpstreamStatusError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    /** The upstream's own error code (`{ code }` in its error body), when it sent one. */
    readonly upstreamCode: string | undefined,
  ) {
    super(`${service} answered HTTP ${status}${upstreamCode ? ` (${upstreamCode})` : ''}`);
    this.name = 'UpstreamStatusError';
  }
}

/** Counts calls per operation; tests and benchmarks read it to prove batching. */
export interface CallRecorder {
  record(service: string, operation: string): void;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** JSON over HTTP to one upstream, on a keep-alive connection pool. */
export class UpstreamHttp {
  private readonly pool: Pool;
  private readonly maxBody: number;

  constructor(private readonly options: UpstreamHttpOptions, private readonly recorder?: CallRecorder) {
    this.pool = new Pool(options.baseUrl, {
      connections: options.maxConnections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
    });
    this.maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  /** Name of the service, for errors. */
  get service(): string {
    return this.options.service;
  }

  /**
   * Sends one request and parses the JSON answer. Non-2xx becomes `UpstreamStatusError`;
   * transport faults, timeouts, oversized or malformed bodies become `UpstreamUnavailableError`.
   */
  async request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    this.recorder?.record(this.options.service, `${method} ${path}`);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let response;
    try {
      response = await this.pool.request({
        method,
        path,
        signal,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new UpstreamUnavailableError(this.options.service, { originalError: asError(cause) });
    }
    let text: string;
    try {
      text = await readBounded(response.body, this.maxBody);
    } catch (cause) {
      response.body.destroy();
      throw new UpstreamUnavailableError(this.options.service, { originalError: asError(cause) });
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new UpstreamStatusError(this.options.service, response.statusCode, errorCode(text));
    }
    if (response.statusCode === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new UpstreamUnavailableError(this.options.service, { originalError: asError(cause) });
    }
  }

  /** Closes idle connections; in-flight requests finish first. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}

async function readBounded(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error(`response body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { code?: unknown };
    return typeof parsed.code === 'string' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Paths of an OpenAPI `paths` type that accept POST. */
export type PostPath<Paths> = { [K in keyof Paths]: Paths[K] extends { post: object } ? K : never }[keyof Paths] & string;
/** JSON request body of `POST path`, as the OpenAPI document declares it. */
export type PostBody<Paths, K extends keyof Paths> = Paths[K] extends { post: { requestBody?: { content: { 'application/json': infer B } } } } ? B : never;
/** JSON body of the 200 answer to `POST path`. */
export type PostOk<Paths, K extends keyof Paths> = Paths[K] extends { post: { responses: { 200: { content: { 'application/json': infer R } } } } } ? R : never;

/**
 * A batch read: POST with a JSON body, typed by the upstream's OpenAPI paths. Any upstream
 * refusal is an outage from the client's point of view (reads carry no user input that
 * could be "wrong"), so it never leaks details.
 */
export async function readCall<Paths, K extends PostPath<Paths>>(http: UpstreamHttp, path: K, body: PostBody<Paths, K>): Promise<PostOk<Paths, K>> {
  try {
    return await http.request<PostOk<Paths, K>>('POST', path, body);
  } catch (error) {
    if (error instanceof UpstreamStatusError) {
      throw new UpstreamUnavailableError(http.service, { originalError: error });
    }
    throw error;
  }
}

/** `readCall` bound to one upstream and its OpenAPI paths, so call sites name a path once. */
export function readerFor<Paths>(http: UpstreamHttp) {
  return <K extends PostPath<Paths>>(path: K, body: PostBody<Paths, K>): Promise<PostOk<Paths, K>> => readCall<Paths, K>(http, path, body);
}
