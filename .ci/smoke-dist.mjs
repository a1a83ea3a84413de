// Starts the compiled build the ways production does, checks that it answers, then sends
// SIGTERM and expects a clean drain and exit 0. Used by .ci/run.
// 1. `node dist/src/main.js`, as the container image runs it (node is PID 1 there).
// 2. `npm run start:prod`, with the signal sent to npm (a process manager's view): npm must
//    pass it on to the server, which it only can when the script execs node.
// (3. below: in the first, a large query executes in the compiled worker thread.)
import { execFileSync, spawn } from 'node:child_process';

// 3. A large query (estimated over 20,000 objects) as alice: it executes in the worker thread,
//    whose entry is compiled JavaScript beside executor.js (tests only ever load the TypeScript one).
async function largeQuery(url, logs, fail) {
  const token = execFileSync('npx', ['tsx', 'src/demo/token-cli.ts', 'alice'], { encoding: 'utf8' }).trim();
  const post = (body) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const viewer = await (await post({ query: '{ viewer { customer { id } } }' })).json();
  const id = viewer.data?.viewer?.customer?.id;
  if (typeof id !== 'string') fail(`alice has no customer: ${JSON.stringify(viewer)}`);
  const query =
    'query Large($id: ID!) { customer(id: $id) { invoices(first: 100) { edges { node { id customer { users { id name } } } } } } }';
  const response = await post({ query, variables: { id }, operationName: 'Large' });
  const body = await response.json();
  if (response.status !== 200 || body.errors !== undefined || !(body.data?.customer?.invoices?.edges?.length > 0)) {
    fail(`the large query answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  // The request line is written once the response has gone out: look for it for up to 5 s.
  const line = /"operationName":"Large"[^\n]*"executedIn":"worker"/;
  for (let waited = 0; !line.test(logs()) && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!line.test(logs())) fail('the large query did not execute in the worker thread');
}

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
  if (label === 'node dist/src/main.js') await largeQuery(url, () => stderr, fail);
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
