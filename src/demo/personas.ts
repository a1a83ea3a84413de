/**
 * The seven personas of the demo world (PRODUCT.md). The development token issuer signs
 * tokens from these; the demo customer service seeds business users with the same subjects.
 */
export type PersonaName = 'alice' | 'bob' | 'carol' | 'mallory' | 'dave' | 'frank' | 'erin';

export interface Persona {
  readonly name: PersonaName;
  /** OIDC `sub` of the persona's access tokens. */
  readonly subject: string;
  /** Auth0-style `permissions` array carried by the token. */
  readonly permissions: readonly string[];
  /** The SPA the token was issued to (`azp`). */
  readonly clientId: string;
  readonly description: string;
}

const ADMIN_PERMISSIONS = ['read:customers', 'read:billing', 'read:licenses', 'manage:licenses'];

export const PERSONAS: Readonly<Record<PersonaName, Persona>> = {
  alice: {
    name: 'alice',
    subject: 'auth0|alice',
    permissions: ADMIN_PERMISSIONS,
    clientId: 'portal-app',
    description: 'customer admin at Acme Corp',
  },
  bob: {
    name: 'bob',
    subject: 'auth0|bob',
    permissions: ['read:customers', 'read:licenses'],
    clientId: 'portal-app',
    description: 'member at Acme Corp, no billing access',
  },
  carol: {
    name: 'carol',
    subject: 'auth0|carol',
    permissions: ADMIN_PERMISSIONS,
    clientId: 'portal-app',
    description: "customer admin at Globex (Globex's analytics license has expired)",
  },
  mallory: {
    name: 'mallory',
    subject: 'auth0|mallory',
    permissions: ADMIN_PERMISSIONS,
    clientId: 'portal-app',
    description: 'customer admin at Initech, probes other tenants',
  },
  dave: {
    name: 'dave',
    subject: 'auth0|dave',
    permissions: ['support:read'],
    clientId: 'support-console',
    description: 'support agent (staff, no customer): reads every customer, changes nothing',
  },
  frank: {
    name: 'frank',
    subject: 'auth0|frank',
    permissions: ['read:customers'],
    clientId: 'portal-app',
    description: 'valid token, subject unknown to the business backend',
  },
  erin: {
    name: 'erin',
    subject: 'auth0|erin',
    permissions: ADMIN_PERMISSIONS,
    clientId: 'portal-app',
    description: 'member at Acme Corp and admin at Globex: her token names the customer by organization (--org acme|globex)',
  },
};

/** Narrows a command-line string to a persona name. */
export function isPersonaName(value: string): value is PersonaName {
  return Object.hasOwn(PERSONAS, value);
}
