import type { Principal } from '../../src/auth/principal.js';
import { type Clock, systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createRequestContext, type RequestContext } from '../../src/context.js';
import { PERSONAS, type PersonaName } from '../../src/demo/personas.js';
import { createLogger } from '../../src/log.js';
import type { Upstreams } from '../../src/upstream/index.js';

/** The principal a persona's development token would produce after verification. */
export function personaPrincipal(persona: PersonaName): Principal {
  const p = PERSONAS[persona];
  return {
    subject: p.subject,
    clientId: p.clientId,
    permissions: new Set([...p.permissions, 'openid', 'profile']),
    claimedUserId: null,
    claimedCustomerId: null,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
}

/** A request context built the way the server builds one, for in-process execution. */
export function contextFor(persona: PersonaName, upstreams: Upstreams, clock: Clock = systemClock): RequestContext {
  return createRequestContext(personaPrincipal(persona), {
    upstreams,
    log: createLogger('silent'),
    maxPageSize: 500,
    clock,
    execution: loadConfig({}).execution,
  });
}
