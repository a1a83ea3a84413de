import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './log.js';

/**
 * The one Redis connection of an instance (plus a subscriber for pub/sub, on demand), set up
 * so that a Redis outage never holds a request: no offline queue (a command while
 * disconnected fails at once), a per-command timeout, and reconnection in the background
 * forever. Callers check `up` and choose their fallback; outages are logged once each, with
 * how long they lasted.
 */

/** Connection settings, exactly as configured (`config.redis`). */
export interface RedisSettings {
  readonly url: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

// Reconnection backoff: quick at first, then every 2 s. ioredis runs it on its own timers:
// it is the client's network behaviour (like undici's), not a decision of the BFF.
const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/** A Redis client that fails fast while Redis is away, and says so. */
export class RedisConnection {
  readonly client: Redis;
  private subscriberClient: Redis | undefined;
  private wasUp = false;
  private downSince: number | null = null;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(
    readonly settings: RedisSettings,
    private readonly log: Logger,
  ) {
    this.client = new Redis(settings.url, this.options());
    this.watch(this.client, 'commands');
  }

  /** True while commands can be sent (connected and ready). */
  get up(): boolean {
    return this.client.status === 'ready';
  }

  /** Resolves once connected the first time, or after `timeoutMs` (the instance starts degraded, and keeps trying). */
  async connected(timeoutMs: number): Promise<boolean> {
    if (this.up) return true;
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(value);
      };
      const onReady = () => done(true);
      // Real time on purpose: a start-up wait on the network, not a decision on the app's clock.
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  /** A second connection in subscriber mode (created once); resubscribes on its own after a reconnect. */
  subscriber(): Redis {
    if (this.subscriberClient === undefined) {
      this.subscriberClient = new Redis(this.settings.url, this.options());
      this.watch(this.subscriberClient, 'subscriber');
    }
    return this.subscriberClient;
  }

  /** Calls `listener` each time the command connection is ready again after an outage. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Closes both connections (shutdown step); pending commands fail. */
  async close(): Promise<void> {
    await Promise.all(
      [this.client, this.subscriberClient].map(async (client) => {
        if (client === undefined) return;
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
  }

  private options(): RedisOptions {
    return {
      enableOfflineQueue: false,
      commandTimeout: this.settings.commandTimeoutMs,
      connectTimeout: Math.max(1000, this.settings.commandTimeoutMs * 4),
      maxRetriesPerRequest: 0,
      retryStrategy,
      lazyConnect: false,
    };
  }

  private watch(client: Redis, role: 'commands' | 'subscriber'): void {
    // Without a listener ioredis prints every connection error; the outage is logged once below.
    client.on('error', (error: Error) => this.log.debug('redis.error', { role, error: error.message }));
    if (role !== 'commands') return;
    client.on('ready', () => {
      if (this.downSince !== null) {
        this.log.info('redis.recovered', { downForMs: Date.now() - this.downSince });
        this.downSince = null;
        for (const listener of this.reconnectListeners) listener();
      } else if (!this.wasUp) {
        this.log.info('redis.connected', { keyPrefix: this.settings.keyPrefix });
      }
      this.wasUp = true;
    });
    const lost = () => {
      if (this.downSince !== null) return;
      this.downSince = Date.now();
      this.log.warn('redis.unavailable', { was: this.wasUp ? 'connected' : 'never connected' });
    };
    client.on('close', lost);
    client.on('end', lost);
  }
}
