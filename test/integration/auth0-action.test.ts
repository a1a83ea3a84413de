/**
 * The post-login Action in integrations/auth0/, run against recorded post-login events, and
 * the tokens it shapes sent over real HTTP to the BFF in production mode: Action and BFF agree
 * on who the user is.
 */
import { DEV_AUDIENCE, DEV_USERINFO_AUDIENCE } from '../../src/demo/dev-issuer.js';
import { customerBySlug, organizationIdOf, personaUser, personaUserIn, seedWorld } from '../../src/demo/world.js';
import { type ActionOutcome, loadAction, type PostLoginEvent, recordedEvents } from '../helpers/auth0-action.js';
import { PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';

const USER = 'https://bff.example.com/user_id';
const CUSTOMER = 'https://bff.example.com/customer_id';
const SECRETS = { BFF_AUDIENCE: DEV_AUDIENCE };
const run = loadAction();
const events = recordedEvents();
const event = (name: string): PostLoginEvent => {
  const found = events[name];
  if (!found) throw new Error(`no recorded event ${name}`);
  return found;
};

describe('the Action on recorded logins', () => {
  const world = seedWorld();
  const acme = customerBySlug(world, 'acme').id;
  const globex = customerBySlug(world, 'globex').id;

  test('the recordings use the demo world’s ids', () => {
    expect(event('alice-google').user.app_metadata).toEqual({ bff: { user_id: personaUser(world, 'alice').id, customer_id: acme } });
    expect(event('erin-globex-organization').organization?.id).toBe(organizationIdOf('globex'));
    expect(event('erin-globex-organization').user.app_metadata).toEqual({
      bff: {
        memberships: [
          { organization_id: organizationIdOf('acme'), user_id: personaUserIn(world, 'erin', 'acme').id, customer_id: acme },
          { organization_id: organizationIdOf('globex'), user_id: personaUserIn(world, 'erin', 'globex').id, customer_id: globex },
        ],
      },
    });
  });

  const cases: [name: string, claims: () => Record<string, string>][] = [
    ['alice-google', () => ({ [USER]: personaUser(world, 'alice').id, [CUSTOMER]: acme })],
    ['alice-not-provisioned', () => ({})],
    ['erin-globex-organization', () => ({ [USER]: personaUserIn(world, 'erin', 'globex').id, [CUSTOMER]: globex })],
    ['erin-without-organization', () => ({})],
    // user_metadata is the user's own to edit: bob naming carol there changes nothing.
    ['bob-edited-user-metadata', () => ({ [USER]: personaUser(world, 'bob').id, [CUSTOMER]: acme })],
    // The Action cannot know the user was deleted; the BFF refuses the claim (below).
    ['offboarded-stale-metadata', () => ({ [USER]: 'usr_000000000000', [CUSTOMER]: acme })],
    ['alice-other-api', () => ({})],
  ];
  test.each(cases)('%s', async (name, claims) => {
    const outcome = await run(event(name), SECRETS);
    expect(outcome).toEqual<ActionOutcome>({ accessToken: claims(), idToken: {}, denied: null, logs: [] });
  });

  test('every recording is covered by a case', () => {
    expect(Object.keys(events).sort()).toEqual(cases.map(([name]) => name).sort());
  });

  test('a login through an organization the user has no membership in adds nothing', async () => {
    const foreign = { ...event('erin-globex-organization'), organization: { id: 'org_0000000000000000', name: 'initech' } };
    expect((await run(foreign, SECRETS)).accessToken).toEqual({});
  });

  test('a login without an audience (no resource server) adds nothing', async () => {
    const { resource_server: _none, ...noAudience } = event('alice-google');
    expect((await run(noAudience, SECRETS)).accessToken).toEqual({});
  });

  test('without the BFF_AUDIENCE secret nothing is added, and the Action says why in its log', async () => {
    const outcome = await run(event('alice-google'));
    expect(outcome.accessToken).toEqual({});
    expect(outcome.logs).toEqual(['shielded-bff: the BFF_AUDIENCE secret is not set; no business claims added']);
  });

  test('CLAIM_NAMESPACE renames the claims (with or without its trailing slash)', async () => {
    for (const namespace of ['https://acme.example/', 'https://acme.example']) {
      const outcome = await run(event('alice-google'), { ...SECRETS, CLAIM_NAMESPACE: namespace });
      expect(Object.keys(outcome.accessToken)).toEqual(['https://acme.example/user_id', 'https://acme.example/customer_id']);
    }
  });

  test('malformed app_metadata adds nothing rather than something half-right', async () => {
    for (const bff of [null, 'usr_x', { user_id: 42 }, { user_id: '' }, { user_id: 'usr_x', customer_id: 7 }, { memberships: 'x' }]) {
      const broken = { ...event('alice-google'), user: { ...event('alice-google').user, app_metadata: { bff } } };
      expect((await run(broken, SECRETS)).accessToken).toEqual({});
    }
  });
});

describe('the tokens the Action shapes, sent to the BFF', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: PRODUCTION });
  });
  afterAll(() => stack.stop());

  /** The access token Auth0 would issue for this login: its usual claims plus the Action's. */
  async function tokenFor(login: PostLoginEvent): Promise<string> {
    const outcome = await run(login, SECRETS);
    return stack.issuer.sign(
      {
        azp: login.client.client_id,
        scope: 'openid profile email',
        permissions: ['read:customers', 'read:billing', 'read:licenses'],
        ...(login.organization ? { org_id: login.organization.id } : {}),
        ...outcome.accessToken,
      },
      { subject: login.user.user_id, audience: [login.resource_server!.identifier, DEV_USERINFO_AUDIENCE] },
    );
  }

  const cases: [name: string, customer: string | null][] = [
    ['alice-google', 'Acme Corp'],
    ['alice-not-provisioned', 'Acme Corp'],
    ['erin-globex-organization', 'Globex'],
    ['erin-without-organization', null],
    ['bob-edited-user-metadata', 'Acme Corp'],
    ['offboarded-stale-metadata', null],
  ];
  test.each(cases)('%s reads as %s', async (name, customer) => {
    const result = await stack.gql('{ viewer { user { name } customer { name } } }', { token: await tokenFor(event(name)) });
    expect(result.status).toBe(200);
    expect(result.data!.viewer.customer).toEqual(customer === null ? null : { name: customer });
    if (name === 'bob-edited-user-metadata') expect(result.data!.viewer.user).toEqual({ name: 'Bob Brown' });
  });
});
