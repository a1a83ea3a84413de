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
  app.lifecycle.handleSignals(process);
  process.stdout.write(`BFF ready at ${app.url}\n${app.devIssuer === undefined ? '' : demoNote(app.url, config.production)}`);
}

/** How to get going on the demo world: a token, a first request, the Sandbox. */
function demoNote(url: string, production: boolean): string {
  const query = JSON.stringify({ query: '{ viewer { subject customer { name } } }' });
  return [
    '  Demo world: built-in upstreams and development token issuer.',
    '  Get a token:  npm run -s token -- alice   (personas: alice bob carol mallory dave frank; erin --org acme|globex)',
    `  Try it:       curl -s ${url} -H "authorization: Bearer $(npm run -s token -- alice)" -H 'content-type: application/json' -d '${query}'`,
    ...(production
      ? []
      : [`  Explorer:     open ${url} in a browser on this machine (Apollo Sandbox, GraphiQL offline; a 15-minute token for alice)`]),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
