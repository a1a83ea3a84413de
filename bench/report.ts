import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** Output helpers shared by the benchmark programs: tables, numbers, progress, raw results. */

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** The machine a run measured, for the raw JSON (timings mean little without it). */
export function machineInfo() {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg(),
  };
}

/** Writes `data` to bench/results/<start time>-<name>.json and returns the path. */
export function writeResults(started: number, name: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${new Date(started).toISOString().replace(/[:.]/g, '-')}-${name}.json`;
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** A markdown table, columns padded to their widest cell. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** A number with `digits` decimals, `n/a` when not finite. */
export function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Progress on stderr (stdout carries the report). */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
