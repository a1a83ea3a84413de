import { startApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';

/** Entry point: read config, start, print where to go, shut down gracefully on signals. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const app = await startApp(config, { log });

  const demoNote =
    app.devIssuer !== undefined
      ? `\n  Demo world: built-in upstreams and development token issuer.\n  Get a token:  npm run token -- alice   (personas: alice bob carol mallory dave frank)\n  Try it:       curl -s ${app.url} -H "authorization: Bearer $(npm run token -- alice)" -H 'content-type: application/json' -d '{"query":"{ viewer { subject customer { name } } }"}'\n${config.production ? '' : `  Sandbox:      open ${app.url} in a browser (pre-filled with alice's token)\n`}`
      : '\n';
  process.stdout.write(`BFF ready at ${app.url}${demoNote}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutdown.started', { signal });
    // A second signal, or a drain that takes too long, ends the process anyway.
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    app.stop().then(
      () => {
        log.info('shutdown.finished', { signal });
        process.exit(0);
      },
      (error: unknown) => {
        log.error('shutdown.failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
