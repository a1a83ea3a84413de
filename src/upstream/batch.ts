/**
 * Helpers that turn "records that exist, in any order" (the upstream batch contract) into
 * "exactly one result per key, in key order" (the DataLoader contract).
 */

/** One record (or null) per key, matched by `keyOf`; records for keys not asked for are dropped. */
export function oneByKey<K, T>(keys: readonly K[], records: readonly T[], keyOf: (record: T) => K): (T | null)[] {
  const byKey = new Map<K, T>();
  for (const record of records) byKey.set(keyOf(record), record);
  return keys.map((key) => byKey.get(key) ?? null);
}

/**
 * All records per key, in upstream order. Records whose key was not asked for are dropped:
 * an upstream answering with another customer's data must not leak it.
 */
export function manyByKey<K, T>(keys: readonly K[], records: readonly T[], keyOf: (record: T) => K): T[][] {
  const byKey = new Map<K, T[]>();
  for (const key of keys) byKey.set(key, []);
  for (const record of records) byKey.get(keyOf(record))?.push(record);
  return keys.map((key) => byKey.get(key)!);
}

/** Distinct values, first-seen order: DataLoader dedupes keys, but callers may not. */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
