/** Starts the three demo upstreams over one shared world. */
import { startBillingService } from './billing-service.js';
import { startCustomersService } from './customers-service.js';
import type { DemoService, TimedCall } from './http-service.js';
import { startLicensesService } from './licenses-service.js';
import { seedWorld, type DemoWorld } from './world.js';

export interface DemoServicesOptions {
  /** World to serve; seeded from `scale` when absent. */
  world?: DemoWorld;
  scale?: number;
  host?: string;
  ports?: { customers?: number; billing?: number; licenses?: number };
  /** Fixed delay added to every counted request of every service. */
  latencyMs?: number;
}

export interface DemoServices {
  readonly world: DemoWorld;
  readonly customers: DemoService;
  readonly billing: DemoService;
  readonly licenses: DemoService;
  readonly urls: { customers: string; billing: string; licenses: string };
  resetStats(): void;
  totalRequests(): number;
  /** Requests the three services are working on right now (hung ones excluded). */
  working(): number;
  /** Every answered request of the three services since the last reset, in start order. */
  timeline(): TimedCall[];
  close(): Promise<void>;
}

/** Seeds (or takes) a world and serves it through the customers, billing and licenses services. */
export async function startDemoServices(options: DemoServicesOptions = {}): Promise<DemoServices> {
  const world = options.world ?? seedWorld(options.scale === undefined ? {} : { scale: options.scale });
  const listen = (port: number | undefined) => ({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(port === undefined ? {} : { port }),
  });
  const started = await Promise.allSettled([
    startCustomersService(world, listen(options.ports?.customers)),
    startBillingService(world, listen(options.ports?.billing)),
    startLicensesService(world, listen(options.ports?.licenses)),
  ]);
  const services = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure || services.length !== 3) {
    // Don't leak the listeners that did start (e.g. when one port was taken).
    await Promise.all(services.map((service) => service.close()));
    throw failure?.reason ?? new Error('demo services failed to start');
  }
  const [customers, billing, licenses] = services as [DemoService, DemoService, DemoService];
  for (const service of services) service.faults.latencyMs = options.latencyMs ?? 0;

  return {
    world,
    customers,
    billing,
    licenses,
    urls: { customers: customers.url, billing: billing.url, licenses: licenses.url },
    resetStats: () => {
      for (const service of services) service.stats.reset();
    },
    totalRequests: () => services.reduce((sum, service) => sum + service.stats.total, 0),
    working: () => services.reduce((sum, service) => sum + service.stats.working, 0),
    timeline: () => services.flatMap((service) => service.stats.timeline).sort((a, b) => a.start - b.start),
    close: async () => {
      await Promise.all(services.map((service) => service.close()));
    },
  };
}
