import { createHash } from 'node:crypto';

/** Record kinds of the demo world and the prefix their ids carry. */
export const ID_PREFIXES = {
  customer: 'cus_',
  user: 'usr_',
  account: 'acc_',
  invoice: 'inv_',
  license: 'lic_',
  product: 'prd_',
  organization: 'org_',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/** Deterministic opaque id: the kind's prefix plus the first 12 hex digits of sha256(`kind:key`). */
export function demoId(kind: IdKind, key: string): string {
  // Hashing (rather than using the key) keeps ids opaque, so nothing downstream can
  // start parsing meaning out of them, while staying stable across runs and scales.
  const digest = createHash('sha256').update(`${kind}:${key}`).digest('hex');
  return `${ID_PREFIXES[kind]}${digest.slice(0, 12)}`;
}

/** A 32-bit seed derived from a key, for the world's seeded PRNG. */
export function seedFromKey(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0);
}
