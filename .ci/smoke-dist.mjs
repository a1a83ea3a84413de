// Starts the compiled build the ways production does, checks that it answers, then sends
// SIGTERM and expects a clean drain and exit 0. Used by .ci/run.
// 1. `node dist/src/main.js`, as the container image runs it (node is PID 1 there).
// 2. `npm run start:prod`, with the signal sent to npm (a process manager's view): npm must
//    pass it on to the server, which it only can when the script execs node.
import { spawn } from 'node:child_process';

async function smoke(label, command, args) {
  const child = spawn(command, args, {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const fail = (why) => {
    console.error(`dist smoke (${label}): ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
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
    headers: { 'content-type': 'application/json', 'x-request-id': 'smoke-1' },
    body: '{"query":"{ viewer { subject } }"}',
  });
  if (anonymous.status !== 401) fail(`an anonymous query answered ${anonymous.status}, expected 401`);
  if (anonymous.headers.get('x-request-id') !== 'smoke-1') fail('the request id was not returned');
  const metrics = await fetch(new URL('/metrics', url));
  if (metrics.status !== 200 || !(await metrics.text()).includes('bff_graphql_errors_total{code="UNAUTHENTICATED"} 1')) {
    fail('/metrics does not count the refused request');
  }
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
  if (code !== 0) fail(`SIGTERM: exit ${code}, expected 0`);
  if (!stderr.includes('shutdown.finished')) fail('no shutdown.finished log line');
  // Nothing may be left answering (a wrapper that died while the server lives on).
  const after = await fetch(new URL('/healthz', url)).then(
    () => 'answering',
    () => 'closed',
  );
  if (after !== 'closed') fail('the server still answers after the process exited');
  console.log(`dist smoke (${label}): ${url} answered, drained on SIGTERM, exit 0`);
}

await smoke('node dist/src/main.js', process.execPath, ['dist/src/main.js']);
await smoke('npm run start:prod', 'npm', ['run', 'start:prod']);
