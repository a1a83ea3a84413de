// Starts the compiled build the way production does (`node dist/src/main.js`), checks that it
// answers, then sends SIGTERM and expects a clean drain and exit 0. Used by .ci/run.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['dist/src/main.js'], {
  env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'development' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '';
let stderr = '';
child.stdout.on('data', (chunk) => (stdout += chunk));
child.stderr.on('data', (chunk) => (stderr += chunk));
const fail = (why) => {
  console.error(`dist smoke: ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  child.kill('SIGKILL');
  process.exit(1);
};
const deadline = setTimeout(() => fail('no "BFF ready" line within 60 s'), 60_000);
const url = await new Promise((resolve) => {
  const check = () => {
    const match = /BFF ready at (\S+)/.exec(stdout);
    if (match) resolve(match[1]);
  };
  child.stdout.on('data', check);
  child.on('exit', (code) => fail(`exited early with ${code}`));
});
clearTimeout(deadline);
const health = await fetch(new URL('/healthz', url));
if (health.status !== 200) fail(`/healthz answered ${health.status}`);
const anonymous = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"query":"{ viewer { subject } }"}',
});
if (anonymous.status !== 401) fail(`an anonymous query answered ${anonymous.status}, expected 401`);
child.removeAllListeners('exit');
const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
child.kill('SIGTERM');
const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
if (code !== 0) fail(`SIGTERM: exit ${code}, expected 0`);
if (!stderr.includes('shutdown.finished')) fail('no shutdown.finished log line');
console.log(`dist smoke: ${url} answered, drained on SIGTERM, exit 0`);
