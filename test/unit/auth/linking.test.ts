/** The identity-linking rules, combination by combination, as a pure decision over backend records. */
import { type IdentityClaims, type IdentityRecords, linkIdentity } from '../../../src/auth/linking.js';
import type { Customer, User } from '../../../src/upstream/types.js';

const acme: Customer = { id: 'cus_acme', slug: 'acme', name: 'Acme', organizationId: 'org_acme', createdAt: '2020-01-01T00:00:00Z' };
const globex: Customer = {
  id: 'cus_globex',
  slug: 'globex',
  name: 'Globex',
  organizationId: 'org_globex',
  createdAt: '2020-01-01T00:00:00Z',
};
const user = (id: string, customerId: string | null, subject: string): User => ({
  id,
  customerId,
  subject,
  name: id,
  email: `${id}@example.com`,
  role: customerId === null ? 'support' : 'member',
});
const alice = user('usr_alice', acme.id, 'auth0|alice');
const carol = user('usr_carol', globex.id, 'auth0|carol');
const erinAtAcme = user('usr_erin_acme', acme.id, 'auth0|erin');
const erinAtGlobex = user('usr_erin_globex', globex.id, 'auth0|erin');

const none: IdentityClaims = { claimedUserId: null, claimedCustomerId: null, organizationId: null };
const noRecords: IdentityRecords = { claimedUser: null, subjectUsers: [], organizationCustomer: null };

type Case = [name: string, claims: Partial<IdentityClaims>, records: Partial<IdentityRecords>, outcome: User | string];
const cases: Case[] = [
  // Lookup by subject.
  ['known subject, no claims', {}, { subjectUsers: [alice] }, alice],
  ['unknown subject, no claims', {}, {}, 'subject_unknown'],
  ['unknown subject with a customer claim (stale metadata)', { claimedCustomerId: acme.id }, {}, 'subject_unknown'],
  ['known subject, confirming customer claim', { claimedCustomerId: acme.id }, { subjectUsers: [alice] }, alice],
  ['known subject, contradicting customer claim', { claimedCustomerId: globex.id }, { subjectUsers: [alice] }, 'customer_claim_mismatch'],
  // A user-id claim (the seed thread's recipe: app_metadata -> Action -> claim).
  ['claimed user exists, subject unknown (another identity provider)', { claimedUserId: alice.id }, { claimedUser: alice }, alice],
  ['claimed user exists and the subject is theirs', { claimedUserId: alice.id }, { claimedUser: alice, subjectUsers: [alice] }, alice],
  [
    'claimed user exists, the subject belongs to somebody else',
    { claimedUserId: carol.id },
    { claimedUser: carol, subjectUsers: [alice] },
    'claimed_user_contradicts_subject',
  ],
  ['claimed user does not exist (offboarded)', { claimedUserId: 'usr_gone' }, {}, 'claimed_user_unknown'],
  [
    'claimed user does not exist, even with a known subject and a customer claim',
    { claimedUserId: 'usr_gone', claimedCustomerId: acme.id },
    { subjectUsers: [alice] },
    'claimed_user_unknown',
  ],
  [
    'claimed user exists, customer claim names another customer',
    { claimedUserId: alice.id, claimedCustomerId: globex.id },
    { claimedUser: alice },
    'customer_claim_mismatch',
  ],
  // Organizations.
  ['organization of the user', { organizationId: 'org_acme' }, { subjectUsers: [alice], organizationCustomer: acme }, alice],
  [
    'organization of another customer',
    { organizationId: 'org_globex' },
    { subjectUsers: [alice], organizationCustomer: globex },
    'organization_mismatch',
  ],
  ['organization the backend does not know', { organizationId: 'org_nope' }, { subjectUsers: [alice] }, 'organization_unknown'],
  ['several customers, no organization', {}, { subjectUsers: [erinAtAcme, erinAtGlobex] }, 'organization_required'],
  [
    'several customers, organization picks one',
    { organizationId: 'org_globex' },
    { subjectUsers: [erinAtAcme, erinAtGlobex], organizationCustomer: globex },
    erinAtGlobex,
  ],
  [
    'several customers, organization picks one, customer claim confirms',
    { organizationId: 'org_acme', claimedCustomerId: acme.id },
    { subjectUsers: [erinAtAcme, erinAtGlobex], organizationCustomer: acme },
    erinAtAcme,
  ],
  [
    'several customers, customer claim alone does not pick',
    { claimedCustomerId: acme.id },
    { subjectUsers: [erinAtAcme, erinAtGlobex] },
    'organization_required',
  ],
  [
    'claimed user of one customer, organization of the other',
    { claimedUserId: erinAtAcme.id, organizationId: 'org_globex' },
    { claimedUser: erinAtAcme, subjectUsers: [erinAtAcme, erinAtGlobex], organizationCustomer: globex },
    'organization_mismatch',
  ],
  [
    'claimed user and organization agree',
    { claimedUserId: erinAtGlobex.id, organizationId: 'org_globex' },
    { claimedUser: erinAtGlobex, subjectUsers: [erinAtAcme, erinAtGlobex], organizationCustomer: globex },
    erinAtGlobex,
  ],
];

test.each(cases)('%s', (_name, claims, records, outcome) => {
  const linked = linkIdentity({ ...none, ...claims }, { ...noRecords, ...records });
  if (typeof outcome === 'string') {
    // Nobody: no user and no customer, whatever the claims said.
    expect(linked).toEqual({ user: null, customerId: null, rejection: outcome });
  } else {
    expect(linked).toEqual({ user: outcome, customerId: outcome.customerId, rejection: null });
  }
});
