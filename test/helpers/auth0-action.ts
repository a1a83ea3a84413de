import { readdirSync, readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';

/**
 * Runs the repository's Auth0 post-login Action the way Auth0 does: the file's own text in a
 * fresh context that gives it `exports` and `console` (no `require`: the Action must need no
 * dependencies), called with a recorded `event` and an `api` object that records every call.
 */

const ACTION_DIR = fileURLToPath(new URL('../../integrations/auth0/', import.meta.url));

/** What the Action did to the login, as the recording `api` saw it. */
export interface ActionOutcome {
  /** Claims added to the access token, in call order. */
  readonly accessToken: Record<string, unknown>;
  /** Claims added to the ID token (the BFF never reads them; recorded to prove none leak there). */
  readonly idToken: Record<string, unknown>;
  /** `api.access.deny` reason, if the Action refused the login. */
  readonly denied: string | null;
  /** Lines the Action logged (Auth0 shows them in the Action's real-time logs). */
  readonly logs: string[];
}

/** A post-login `event`; only what the Action reads is typed, the recordings carry the rest. */
export interface PostLoginEvent {
  readonly user: { readonly user_id: string; readonly app_metadata?: unknown; readonly user_metadata?: unknown };
  readonly client: { readonly client_id: string };
  readonly organization?: { readonly id: string; readonly name?: string };
  readonly resource_server?: { readonly identifier: string };
  readonly secrets?: Record<string, string>;
  readonly [key: string]: unknown;
}

type Handler = (event: PostLoginEvent, api: unknown) => Promise<void>;

/** Loads `integrations/auth0/<file>` and returns a runner for recorded events. */
export function loadAction(file = 'post-login.cjs'): (event: PostLoginEvent, secrets?: Record<string, string>) => Promise<ActionOutcome> {
  const source = readFileSync(`${ACTION_DIR}${file}`, 'utf8');
  return async (event, secrets = {}) => {
    const logs: string[] = [];
    const module = { exports: {} as { onExecutePostLogin?: Handler } };
    runInNewContext(source, { exports: module.exports, module, console: { log: (...args: unknown[]) => logs.push(args.join(' ')) } });
    const handler = module.exports.onExecutePostLogin;
    if (typeof handler !== 'function') throw new Error(`${file} does not export onExecutePostLogin`);
    const accessToken: Record<string, unknown> = {};
    const idToken: Record<string, unknown> = {};
    let denied: string | null = null;
    const api = {
      accessToken: {
        setCustomClaim: (name: string, value: unknown) => {
          accessToken[name] = value;
        },
      },
      idToken: {
        setCustomClaim: (name: string, value: unknown) => {
          idToken[name] = value;
        },
      },
      access: {
        deny: (reason: string) => {
          denied = reason;
        },
      },
    };
    // A deep copy, as Auth0 hands each Action its own event: the Action cannot change the recording.
    await handler({ ...structuredClone(event), secrets: { ...event.secrets, ...secrets } }, api);
    return { accessToken, idToken, denied, logs };
  };
}

/** The recorded post-login events, by file name. */
export function recordedEvents(): Record<string, PostLoginEvent> {
  const dir = `${ACTION_DIR}recorded/`;
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => [name.replace(/\.json$/, ''), JSON.parse(readFileSync(`${dir}${name}`, 'utf8')) as PostLoginEvent]),
  );
}
