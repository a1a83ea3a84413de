/**
 * Several issuers (the tenant's canonical domain and its custom domain), issuer strings as
 * operators write them, and JWKS URLs discovered from the issuer's OpenID configuration:
 * over real HTTP, with tokens shaped like Auth0's.
 */
import { ManualClock } from '../../src/clock.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../src/demo/dev-issuer.js';
import {
  createTestKey,
  type IssuerServer,
  type JwksServer,
  personaClaims,
  startIssuerServer,
  startJwksServer,
  type TestKey,
} from '../helpers/jwks-server.js';
import { advanceUntilSettled, PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';

const QUERY = '{ viewer { subject customer { name } } }';
const CUSTOM_DOMAIN = 'https://login.acme-bff.example/';
const CUSTOM_AUDIENCE = 'https://api.acme-bff.example';

const rejectedReasons = (stack: TestStack) => stack.logs.filter((line) => line.msg === 'auth.rejected').map((line) => line.reason);

describe('a custom domain next to the canonical issuer', () => {
  let stack: TestStack;
  let customKey: TestKey;
  let customJwks: JwksServer;
  let startup: Record<string, unknown>[];
  beforeAll(async () => {
    customKey = await createTestKey('custom-domain-key');
    customJwks = await startJwksServer([customKey.publicJwk]);
    stack = await startStack({
      env: {
        ...PRODUCTION,
        AUTH_ISSUERS: JSON.stringify([{ issuer: CUSTOM_DOMAIN, audiences: [CUSTOM_AUDIENCE], jwksUrl: customJwks.url }]),
      },
    });
    startup = [...stack.logs];
  });
  afterAll(async () => {
    await stack.stop();
    await customJwks.close();
  });

  test('tokens from either issuer are accepted, each verified with its own keys and audiences', async () => {
    const canonical = await stack.gql(QUERY, { persona: 'alice' });
    expect(canonical.data!.viewer).toEqual({ subject: 'auth0|alice', customer: { name: 'Acme Corp' } });
    const custom = await stack.gql(QUERY, {
      token: await customKey.sign(personaClaims('alice'), {
        issuer: CUSTOM_DOMAIN,
        audience: [CUSTOM_AUDIENCE, `${CUSTOM_DOMAIN}userinfo`],
      }),
    });
    expect(custom.status).toBe(200);
    expect(custom.data!.viewer).toEqual({ subject: 'auth0|alice', customer: { name: 'Acme Corp' } });
  });

  test('a token naming the custom domain but signed with the canonical issuer’s key is refused', async () => {
    stack.logs.length = 0;
    const token = await stack.issuer.signPersona('alice', { issuer: CUSTOM_DOMAIN, audience: CUSTOM_AUDIENCE });
    const result = await stack.gql(QUERY, { token });
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(rejectedReasons(stack)).toEqual(['unknown_key']);
  });

  test('audiences are per issuer: the canonical audience is not accepted from the custom domain', async () => {
    stack.logs.length = 0;
    const token = await customKey.sign(personaClaims('alice'), { issuer: CUSTOM_DOMAIN, audience: DEV_AUDIENCE });
    expect((await stack.gql(QUERY, { token })).status).toBe(401);
    expect(rejectedReasons(stack)).toEqual(['audience']);
  });

  test('an issuer that is not configured is refused before any key is fetched', async () => {
    customJwks.reset();
    stack.logs.length = 0;
    const token = await customKey.sign(personaClaims('alice'), { issuer: 'https://evil.example/', audience: CUSTOM_AUDIENCE });
    expect((await stack.gql(QUERY, { token })).status).toBe(401);
    expect(customJwks.requests).toBe(0);
    expect(stack.logs.find((line) => line.msg === 'auth.rejected')).toMatchObject({
      reason: 'unknown_issuer',
      claimedIssuer: 'https://evil.example/',
    });
  });

  test('start-up logs every trusted issuer with the iss forms and audiences it accepts', () => {
    const trusted = startup.filter((line) => line.msg === 'auth.issuer_trusted');
    expect(trusted).toEqual([
      expect.objectContaining({ issuer: DEV_ISSUER, acceptedIssuers: [DEV_ISSUER, DEV_ISSUER.slice(0, -1)], audiences: [DEV_AUDIENCE] }),
      expect.objectContaining({
        issuer: CUSTOM_DOMAIN,
        acceptedIssuers: [CUSTOM_DOMAIN, CUSTOM_DOMAIN.slice(0, -1)],
        jwks: customJwks.url,
      }),
    ]);
  });
});

test('an issuer configured without its trailing slash accepts Auth0’s tokens (which have one), and says so at start-up', async () => {
  const bare = DEV_ISSUER.replace(/\/$/, '');
  const stack = await startStack({ env: { ...PRODUCTION, AUTH_ISSUER: bare } });
  try {
    const withSlash = await stack.gql(QUERY, { persona: 'alice' });
    expect(withSlash.status).toBe(200);
    const withoutSlash = await stack.gql(QUERY, { token: await stack.token('alice', { issuer: bare }) });
    expect(withoutSlash.status).toBe(200);
    expect(stack.logs.find((line) => line.msg === 'auth.issuer_trusted')).toMatchObject({
      issuer: bare,
      acceptedIssuers: [bare, DEV_ISSUER],
    });
  } finally {
    await stack.stop();
  }
});

// The test issuer serves plain http on loopback, which production refuses for issuers: these
// stacks run in development mode.
describe('JWKS URL discovered from the OpenID configuration', () => {
  let key: TestKey;
  let issuer: IssuerServer;
  let elsewhere: JwksServer;
  beforeAll(async () => {
    key = await createTestKey('discovered-key');
    elsewhere = await startJwksServer([key.publicJwk]);
  });
  beforeEach(async () => {
    issuer = await startIssuerServer([key.publicJwk]);
    elsewhere.reset();
  });
  afterEach(() => issuer.close());
  afterAll(() => elsewhere.close());

  const discovered = () => JSON.stringify([{ issuer: issuer.issuer, audiences: [DEV_AUDIENCE] }]);
  const tokenFrom = () => key.sign(personaClaims('bob'), { issuer: issuer.issuer, audience: DEV_AUDIENCE });

  test('at start-up: the document names the key set, whose keys then verify the issuer’s tokens', async () => {
    const stack = await startStack({ env: { AUTH_ISSUERS: discovered() } });
    try {
      expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
      expect(stack.logs.find((line) => line.msg === 'auth.jwks_discovered')).toMatchObject({
        issuer: issuer.issuer,
        jwksUrl: `${issuer.issuer}.well-known/jwks.json`,
      });
      const result = await stack.gql(QUERY, { token: await tokenFrom() });
      expect(result.data!.viewer).toEqual({ subject: 'auth0|bob', customer: { name: 'Acme Corp' } });
    } finally {
      await stack.stop();
    }
  });

  test('discovery failing at start-up: not ready, 503 for that issuer, retried on the clock until it works', async () => {
    issuer.discovery = 'error';
    const clock = new ManualClock(Date.now());
    const stack = await advanceUntilSettled(clock, startStack({ clock, env: { AUTH_ISSUERS: discovered() } }));
    try {
      const readyz = async () => (await fetch(new URL('/readyz', stack.url))).status;
      expect(await readyz()).toBe(503);
      expect(stack.logs.find((line) => line.msg === 'auth.jwks_prefetch_failed')).toMatchObject({ issuers: [issuer.issuer] });
      expect((await stack.gql(QUERY, { token: await tokenFrom() })).status).toBe(503);
      // The other issuer is unaffected.
      expect((await stack.gql(QUERY, { persona: 'alice' })).status).toBe(200);

      issuer.discovery = 'ok';
      const before = issuer.requests.discovery;
      clock.advance(5000); // the background retry
      await advanceUntilSettled(
        clock,
        (async () => {
          while (!stack.verifier.ready()) await new Promise((resolve) => setImmediate(resolve));
        })(),
      );
      expect(issuer.requests.discovery).toBeGreaterThan(before);
      expect(await readyz()).toBe(200);
      expect((await stack.gql(QUERY, { token: await tokenFrom() })).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });

  test('a redirect to another host is not followed, and a document naming another issuer is refused', async () => {
    for (const mode of ['redirect', 'wrong-issuer'] as const) {
      issuer.discovery = mode;
      issuer.redirectTo = elsewhere.url;
      const stack = await startStack({ env: { AUTH_ISSUERS: discovered() } });
      try {
        expect(stack.verifier.ready()).toBe(false);
        const failed = stack.logs.find((line) => line.msg === 'auth.jwks_failed');
        expect(String(failed?.error)).toMatch(
          mode === 'redirect' ? /redirect not followed/ : /names issuer "https:\/\/someone-else\.example\/"/,
        );
        expect(elsewhere.requests).toBe(0);
        expect(issuer.requests.jwks).toBe(0);
      } finally {
        await stack.stop();
      }
    }
  });
});

describe('issuer strings are checked at start-up, all problems at once', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
    return [];
  };

  test('not a URL, not https in production, a query, a duplicate, malformed AUTH_ISSUERS', () => {
    expect(problemsOf({ AUTH_ISSUER: 'tenant.eu.auth0.com', AUTH_AUDIENCE: 'api' })).toEqual([
      'AUTH_ISSUER: must be the issuer URL exactly as tokens carry it in "iss", e.g. https://YOUR_TENANT.eu.auth0.com/ (got "tenant.eu.auth0.com")',
    ]);
    const production = {
      NODE_ENV: 'production',
      ALLOW_FREE_FORM_DOCUMENTS: 'true',
      CUSTOMERS_API_URL: 'https://c',
      BILLING_API_URL: 'https://b',
      LICENSES_API_URL: 'https://l',
    };
    expect(problemsOf({ ...production, AUTH_ISSUER: 'http://tenant.eu.auth0.com/', AUTH_AUDIENCE: 'api' })).toEqual([
      'AUTH_ISSUER: must be an https URL in production (got "http://tenant.eu.auth0.com/")',
    ]);
    const found = problemsOf({
      AUTH_ISSUER: 'https://tenant.eu.auth0.com/?x=1',
      AUTH_ISSUERS: JSON.stringify([
        { issuer: 'https://login.example.com', audiences: ['api'] },
        { issuer: 'https://login.example.com/', audiences: ['api'] },
        { issuer: 'https://other.example.com/', audiences: [], jwks_url: 'x' },
      ]),
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'AUTH_AUDIENCE: set AUTH_ISSUER and AUTH_AUDIENCE together',
        'AUTH_ISSUER: must not carry a query, fragment or credentials (got "https://tenant.eu.auth0.com/?x=1")',
        expect.stringMatching(/^AUTH_ISSUERS\[2\]\.audiences: needs at least one audience/),
        expect.stringMatching(/^AUTH_ISSUERS\[2\]: .*jwks_url/),
      ]),
    );
    expect(problemsOf({ AUTH_ISSUERS: '[{"issuer": ' })).toEqual(['AUTH_ISSUERS: must be valid JSON (got "[{\\"issuer\\": ")']);
    expect(
      problemsOf({
        AUTH_ISSUERS: JSON.stringify([
          { issuer: 'https://login.example.com', audiences: ['api'] },
          { issuer: 'https://login.example.com/', audiences: ['api'] },
        ]),
      }),
    ).toEqual(['AUTH_ISSUERS[1].issuer: the same issuer as AUTH_ISSUERS[0].issuer; configure each issuer once']);
  });

  test('AUTH_JWKS_URL is optional: without it the keys are discovered', () => {
    const config = loadConfig({
      AUTH_ISSUER: 'https://tenant.eu.auth0.com/',
      AUTH_AUDIENCE: 'https://api.example.com,https://api2.example.com',
    });
    expect(config.auth).toMatchObject({
      mode: 'remote',
      issuers: [
        { issuer: 'https://tenant.eu.auth0.com/', audiences: ['https://api.example.com', 'https://api2.example.com'], jwksUrl: null },
      ],
    });
  });
});
