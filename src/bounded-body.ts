/**
 * Reading a body whose size the sender controls: one bounded reader for every stream we do
 * not trust (client requests, upstream answers, the issuer's key set, demo service requests).
 * A body is abandoned as soon as it passes the limit; the rest is never buffered.
 */

/** The body passed its limit (declared or while streaming). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * The whole body as one buffer, or `BodyTooLarge` once it exceeds `limit` bytes. A declared
 * length (`Content-Length`) over the limit is refused before a byte is read.
 */
export async function readBounded(
  body: AsyncIterable<Uint8Array>,
  limit: number,
  declaredLength?: string | number | null,
): Promise<Buffer> {
  const declared = Number(declaredLength ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength) : Buffer.concat(chunks);
}
