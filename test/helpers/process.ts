import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The BFF as a real process of its own (npm start, node src/main.ts), once it says it is ready. */
export interface BffProcess {
  readonly child: ChildProcess;
  /** The URL from its "BFF ready at" line. */
  readonly url: string;
  /** Everything it wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Its exit code, once it exits. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `command args` in the repository in development mode on a free port, with `env` on
 * top, and waits for its ready line (at most `readyTimeoutMs`: a process cannot take an
 * injected clock, so this guard is real time; it only bounds a failure).
 */
export async function spawnBff(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  readyTimeoutMs = 25_000,
): Promise<BffProcess> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), readyTimeoutMs);
      child.stdout!.on('data', () => {
        const match = /BFF ready at (\S+)/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`exited early; stderr: ${stderr}`));
      });
    });
    return { child, url, stdout: () => stdout, stderr: () => stderr, exited };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}
