import { Slicer } from './budget.js';

/**
 * JSON text of a response, written in slices that yield to the event loop: `JSON.stringify`
 * of a 4 MB response is one 40-50 ms block in which nothing else runs. The top levels of the
 * value (objects and lists) are walked here, everything below `NATIVE_DEPTH` is left to
 * `JSON.stringify`, and between two parts the serializer yields once the current stretch of
 * synchronous work passes `LARGE_SLICE_MS` (a small response never does, so it is written in one go).
 * Each response has its own slices: a small one is never held back by a large one's.
 * The text is exactly `JSON.stringify(value)`'s.
 */

// Only large requests' responses (`isLargeRequest`), and any without an estimate, come here;
// the others are serialized by `JSON.stringify` in one go (src/server.ts), the fastest way and
// within about one slice: measured here (50-100 ns per value), S2's 500 invoices, estimated
// 5,503, 0.7 ms; S3 with 10 invoices (10,873) 1.0 ms, with 18 (19,567, the largest S3 below the
// bound) 1.9 ms. Walking the top levels in slices cost S3-10 1.4 ms instead of 1.0.

// Below this depth subtrees are small (one list item of a page) and native code is fastest.
const NATIVE_DEPTH = 6;

/** `JSON.stringify(value)`, yielding between parts of a large value. */
export async function stringifyYielding(value: unknown, options: { readonly background?: boolean } = {}): Promise<string> {
  // Short stretches: a response that takes more than one to write is a large one. A large
  // request's (`background`) also steps back while smaller requests are in flight.
  const slicer = new Slicer();
  if (options.background) slicer.background();
  else slicer.shorten();
  // The text so far: joined chunks, and the parts of the current one.
  const chunks: string[] = [];
  const parts: string[] = [];
  // The open lists and objects of the top levels, innermost last. Iterative, so no promise is
  // made per value: a response that never passes a slice is written without one await.
  const stack: Frame[] = [];
  // Characters written natively since the clock was last read: a subtree left to
  // JSON.stringify can be large (a node with its customer's users: ~20 KB, ~100 µs), so the
  // clock is also read after every `CHECK_CHARS` of them, not only every `CHECK_EVERY` values.
  let written = 0;
  const open = (item: unknown, depth: number): void => {
    if (depth >= NATIVE_DEPTH || item === null || typeof item !== 'object' || typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      const text = JSON.stringify(item) ?? 'null';
      written += text.length;
      parts.push(text);
    } else if (Array.isArray(item)) {
      parts.push('[');
      stack.push({ items: item, i: 0, depth });
    } else {
      parts.push('{');
      stack.push({ entries: Object.entries(item), i: 0, depth, first: true });
    }
  };
  open(value, 0);
  let steps = 0;
  while (stack.length > 0) {
    // Reading the clock on every value would cost more than writing most of them.
    if ((++steps & CHECK_EVERY) === 0 || written > CHECK_CHARS) {
      written = 0;
      // Joined as it goes: one join of a 4 MB answer's ~100,000 parts is a 13-28 ms block.
      if (parts.length >= CHUNK_PARTS) chunks.push(parts.splice(0).join(''));
      if (slicer.due) await slicer.later(undefined);
    }
    const top = stack[stack.length - 1]!;
    if ('items' in top) {
      if (top.i >= top.items.length) {
        parts.push(']');
        stack.pop();
        continue;
      }
      if (top.i > 0) parts.push(',');
      const item: unknown = top.items[top.i++];
      // As JSON.stringify writes them in arrays: undefined, functions and symbols become null.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') parts.push('null');
      else open(item, top.depth + 1);
    } else {
      if (top.i >= top.entries.length) {
        parts.push('}');
        stack.pop();
        continue;
      }
      const [key, item] = top.entries[top.i++]!;
      // As JSON.stringify skips them in objects.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      parts.push(top.first ? '' : ',', JSON.stringify(key), ':');
      top.first = false;
      open(item, top.depth + 1);
    }
  }
  if (chunks.length === 0) return parts.join('');
  chunks.push(parts.join(''));
  // One copy of the whole text (~4 ms for 4 MB): Apollo takes the response as one string.
  return chunks.join('');
}

type Frame =
  | { readonly items: readonly unknown[]; i: number; readonly depth: number }
  | { readonly entries: readonly [string, unknown][]; i: number; readonly depth: number; first: boolean };

// The clock is read once per this many values, plus one (a mask)...
const CHECK_EVERY = 63;
// ...or once this many characters were written natively since it was last read.
const CHECK_CHARS = 8 * 1024;
// Parts joined into one chunk (tens of KB, well under a slice).
const CHUNK_PARTS = 1024;

/** Where large response bodies are cut: encoding and copying one slice is well under a millisecond. */
export const BODY_SLICE_CHARS = 64 * 1024;

/** What `writeInSlices` writes to (a `ServerResponse`). */
export interface SliceSink {
  readonly destroyed: boolean;
  write(chunk: string | Uint8Array): unknown;
  end(chunk?: string): unknown;
}

// Bodies whose bulk is UTF-8 bytes made elsewhere (the execution worker's JSON of a response's
// data): Apollo hands the front door a string, so such a body travels as a marker string that
// `writeInSlices` looks up (once) and writes as its parts, the bytes in slices, never copied.
const bodies = new Map<string, { readonly prefix: string; readonly bytes: Uint8Array; readonly suffix: string }>();
let bodyCount = 0;
const MARKER_MAX = 32;

/** A body of `prefix`, `bytes` (UTF-8) and `suffix`, as the marker `writeInSlices` writes it from. */
export function bodyOfBytes(prefix: string, bytes: Uint8Array, suffix: string): string {
  const marker = `\u0000body:${++bodyCount}`;
  bodies.set(marker, { prefix, bytes, suffix });
  return marker;
}

/**
 * Ends `res` with `text`, a large one in slices with a turn of the event loop between them:
 * encoding and copying a 4 MB body in one `end()` is a 5-10 ms block of its own. A slice never
 * ends between the two halves of a surrogate pair (each slice is encoded to UTF-8 on its own).
 */
export async function writeInSlices(res: SliceSink, text: string): Promise<void> {
  // A marker is short and starts with NUL (a JSON body never does): other bodies, megabytes
  // included, are not hashed for a Map lookup.
  const body = text.length < MARKER_MAX && text.charCodeAt(0) === 0 ? bodies.get(text) : undefined;
  if (body !== undefined) {
    bodies.delete(text);
    return writeBytesInSlices(res, body);
  }
  if (text.length <= BODY_SLICE_CHARS) {
    res.end(text);
    return;
  }
  let start = 0;
  while (start < text.length) {
    if (res.destroyed) return;
    let end = Math.min(start + BODY_SLICE_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    res.write(text.slice(start, end));
    start = end;
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
}

/** A body made of bytes (see `bodyOfBytes`): the same slices, each a view of the bytes. */
async function writeBytesInSlices(res: SliceSink, body: { readonly prefix: string; readonly bytes: Uint8Array; readonly suffix: string }) {
  res.write(body.prefix);
  const { bytes } = body;
  for (let start = 0; start < bytes.length; start += BODY_SLICE_CHARS) {
    if (res.destroyed) return;
    res.write(bytes.subarray(start, start + BODY_SLICE_CHARS));
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end(body.suffix);
}
