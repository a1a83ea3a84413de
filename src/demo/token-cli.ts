import { createDevIssuer, DEV_KEY_FILE } from './dev-issuer.js';
import { isPersonaName, PERSONAS } from './personas.js';

/**
 * `npm run -s token -- <persona> [--ttl <seconds>]` prints a development access token and
 * nothing else on stdout, so `TOKEN=$(npm run -s token -- alice)` just works.
 */
async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  let ttl = 3600;
  const ttlAt = args.findIndex((arg) => arg === '--ttl' || arg.startsWith('--ttl='));
  if (ttlAt >= 0) {
    const [flag] = args.splice(ttlAt, 1);
    const raw = flag!.includes('=') ? flag!.split('=')[1] : args.splice(ttlAt, 1)[0];
    if (raw === undefined || !/^-?\d+$/.test(raw))
      return usage(`--ttl needs an integer number of seconds, got ${JSON.stringify(raw ?? '')}`);
    ttl = Number(raw);
  }
  const [name, ...rest] = args;
  if (name === undefined || rest.length > 0)
    return usage(name === undefined ? 'missing persona' : `unexpected argument ${JSON.stringify(rest[0])}`);
  if (!isPersonaName(name)) return usage(`unknown persona ${JSON.stringify(name)}`);
  const issuer = await createDevIssuer({ keyFile: DEV_KEY_FILE });
  process.stdout.write(`${await issuer.signPersona(name, { ttlSeconds: ttl })}\n`);
  return 0;
}

function usage(problem: string): number {
  const personas = Object.values(PERSONAS)
    .map((p) => `  ${p.name.padEnd(8)} ${p.description}`)
    .join('\n');
  process.stderr.write(`token: ${problem}\nusage: npm run -s token -- <persona> [--ttl <seconds>]\npersonas:\n${personas}\n`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
