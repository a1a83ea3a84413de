/**
 * `kill -TERM` on the npm process (what a process manager or a terminal does) must drain the
 * server: npm forwards the signal to its child, so the child has to be the server itself
 * (`exec node ...`), not a shell or a tsx wrapper that dies and leaves the server answering.
 * The compiled `npm run start:prod` gets the same check in .ci/smoke-dist.mjs (it needs a build).
 */
import { createDevIssuer, DEV_KEY_FILE } from '../../src/demo/dev-issuer.js';
import { spawnBff } from '../helpers/process.js';

test('npm start drains on SIGTERM sent to npm: readiness false first, in-flight requests finish, npm exits 0', async () => {
  const { child: npm, url, stderr, exited } = await spawnBff('npm', ['start'], { DEMO_LATENCY_MS: '300', SHUTDOWN_DELAY_MS: '1000' });
  try {
    const token = await (await createDevIssuer({ keyFile: DEV_KEY_FILE })).signPersona('alice');
    const readyz = new URL('/readyz', url);
    const inFlight = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { customer { name } } }' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    npm.kill('SIGTERM');
    let status = 0;
    for (let i = 0; i < 40 && status !== 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = (await fetch(readyz)).status;
    }
    expect(status).toBe(503);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: { viewer: { customer: { name: string } } } }).data.viewer.customer.name).toBe('Acme Corp');
    expect(await exited).toBe(0);
    expect(stderr()).toContain('shutdown.finished');
    // Nothing left answering on the port.
    await expect(fetch(readyz)).rejects.toThrow();
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    // An orphaned server (the bug this test is about) must not keep the test run open through our pipes.
    npm.stdout!.destroy();
    npm.stderr!.destroy();
  }
});
