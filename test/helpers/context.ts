import { principalFromClaims, type Principal } from '../../src/auth/principal.js';
import { type Clock, systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createRequestContext, type RequestContext } from '../../src/context.js';
import type { PersonaName } from '../../src/demo/personas.js';
import { createLogger } from '../../src/log.js';
import type { Upstreams } from '../../src/upstream/index.js';
import { personaClaims } from './jwks-server.js';

/** The principal a persona's development token produces after verification, under the demo world's claim policy. */
export function personaPrincipal(persona: PersonaName): Principal {
  const claims = loadConfig({}).auth.claims;
  return principalFromClaims({ ...personaClaims(persona), exp: Math.floor(Date.now() / 1000) + 3600 }, claims);
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
