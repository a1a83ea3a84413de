import { createDevIssuer, DEV_KEY_FILE } from './dev-issuer.js';
import { isPersonaName, PERSONAS } from './personas.js';
import { organizationIdOf, seedWorld } from './world.js';

/**
 * `npm run -s token -- <persona> [--ttl <seconds>] [--org <customer|org_id>]` prints a development
 * access token and nothing else on stdout, so `TOKEN=$(npm run -s token -- alice)` just works.
 * `--org` adds the Auth0 Organization claim (`org_id`) of a demo customer, as a login through
 * that organization would: erin, who belongs to two customers, needs it to pick one.
 */
async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const ttlFlag = takeFlag(args, 'ttl');
  const orgFlag = takeFlag(args, 'org');
  if (ttlFlag.problem ?? orgFlag.problem) return usage((ttlFlag.problem ?? orgFlag.problem)!);
  let ttl = 3600;
  if (ttlFlag.value !== undefined) {
    if (!/^-?\d+$/.test(ttlFlag.value)) return usage(`--ttl needs an integer number of seconds, got ${JSON.stringify(ttlFlag.value)}`);
    ttl = Number(ttlFlag.value);
  }
  let organization: string | undefined;
  if (orgFlag.value !== undefined) {
    const slugs = seedWorld().customers.map((customer) => customer.slug);
    if (orgFlag.value.startsWith('org_')) organization = orgFlag.value;
    else if (slugs.includes(orgFlag.value)) organization = organizationIdOf(orgFlag.value);
    else return usage(`--org needs a demo customer (${slugs.join(', ')}) or an org_... id, got ${JSON.stringify(orgFlag.value)}`);
  }
  const [name, ...rest] = args;
  if (name === undefined || rest.length > 0)
    return usage(name === undefined ? 'missing persona' : `unexpected argument ${JSON.stringify(rest[0])}`);
  if (!isPersonaName(name)) return usage(`unknown persona ${JSON.stringify(name)}`);
  if (name === 'erin' && organization === undefined) {
    process.stderr.write('token: erin belongs to Acme and Globex; without --org the BFF cannot tell which (she reads as nobody).\n');
  }
  const issuer = await createDevIssuer({ keyFile: DEV_KEY_FILE });
  process.stdout.write(`${await issuer.signPersona(name, { ttlSeconds: ttl, ...(organization === undefined ? {} : { organization }) })}\n`);
  return 0;
}

/** Removes `--name value` or `--name=value` from `args`. */
function takeFlag(args: string[], name: string): { value?: string; problem?: string } {
  const at = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (at < 0) return {};
  const [flag] = args.splice(at, 1);
  const value = flag!.includes('=') ? flag!.slice(flag!.indexOf('=') + 1) : args.splice(at, 1)[0];
  return value === undefined || value === '' ? { problem: `--${name} needs a value` } : { value };
}

function usage(problem: string): number {
  const personas = Object.values(PERSONAS)
    .map((p) => `  ${p.name.padEnd(8)} ${p.description}`)
    .join('\n');
  process.stderr.write(
    `token: ${problem}\nusage: npm run -s token -- <persona> [--ttl <seconds>] [--org <acme|globex|initech|org_...>]\npersonas:\n${personas}\n`,
  );
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
