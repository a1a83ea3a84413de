/**
 * The container image and the Kubernetes manifests, checked against the code without a Docker
 * engine or a cluster: the Dockerfile's stages, user, command, ports and copied paths; the
 * manifests' probes, ports, labels and variables against src/config.ts; and the two
 * together (the configuration they produce is one the server accepts in production).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { documentedDefaults, ENV, loadConfig } from '../../../src/config.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// --- Dockerfile ---------------------------------------------------------------------------

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: Instruction[];
}

/** Instructions of a Dockerfile (comments dropped, `\` continuations joined), grouped by stage. */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const [, base = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ name, base, instructions: [] });
    } else if (stages.length === 0) args.push(instruction);
    else stages[stages.length - 1]!.instructions.push(instruction);
  }
  return { args, stages };
}

/** .dockerignore patterns (simple ones: names and `dir/` prefixes; `!` re-includes). */
function ignored(path: string): boolean {
  let result = false;
  for (const raw of read('.dockerignore').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = negate ? line.slice(1) : line;
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    if (regex.test(path)) result = !negate;
  }
  return result;
}

describe('Dockerfile', () => {
  const { args, stages } = parseDockerfile(read('Dockerfile'));
  const runtime = stages[stages.length - 1]!;
  const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

  test('multi-stage: production dependencies, a TypeScript build, and a runtime on the same pinned Node as package.json allows', () => {
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    const version = /^NODE_VERSION=(\d+)\.(\d+)\.(\d+)$/.exec(args.find((a) => a.keyword === 'ARG')?.args ?? '');
    expect(version).not.toBeNull();
    const [, major, minor] = version!.map(Number);
    const engines = JSON.parse(read('package.json')).engines.node as string;
    const [, needMajor, needMinor] = /(\d+)\.(\d+)/.exec(engines)!.map(Number);
    expect(major! > needMajor! || (major === needMajor && minor! >= needMinor!)).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG placeholder, compared literally
    for (const stage of stages) expect(stage.base).toBe('node:${NODE_VERSION}-bookworm-slim');
    const runs = (stage: Stage) => all(stage, 'RUN').map((i) => i.args);
    expect(runs(stages[0]!).join(' ')).toMatch(/npm ci --omit=dev/);
    expect(runs(stages[1]!).join(' ')).toMatch(/npm ci\b/);
    expect(runs(stages[1]!).join(' ')).toMatch(/npm run build/);
    // Nothing is installed or compiled in the runtime stage.
    expect(runs(runtime)).toEqual([]);
  });

  test('the runtime runs node dist/src/main.js as PID 1 (exec form), as a non-root user, in production mode', () => {
    const [cmd, ...others] = all(runtime, 'CMD');
    expect(others).toEqual([]);
    expect(JSON.parse(cmd!.args)).toEqual(['node', 'dist/src/main.js']);
    expect(all(runtime, 'ENTRYPOINT')).toEqual([]);
    const users = all(runtime, 'USER').map((i) => i.args);
    expect(users).toEqual(['node']);
    // USER comes after every COPY, so nothing copied belongs to the user the server runs as.
    const order = runtime.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('COPY')).toBeLessThan(order.indexOf('USER'));
    expect(runtime.instructions.some((i) => i.keyword === 'COPY' && /--chown/.test(i.args))).toBe(false);
    expect(all(runtime, 'ENV').map((i) => i.args)).toContain('NODE_ENV=production');
    expect(all(runtime, 'STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
    // The compiled entry point is where tsc puts src/main.ts (rootDir ".", outDir "dist").
    const build = JSON.parse(read('tsconfig.json')).compilerOptions;
    expect([build.rootDir, build.outDir]).toEqual(['.', 'dist']);
    expect(existsSync(join(ROOT, 'src/main.ts'))).toBe(true);
  });

  test('EXPOSE names the default PORT and the METRICS_PORT the manifests use', () => {
    const exposed = all(runtime, 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(exposed).toContain(documentedDefaults().PORT);
    expect(exposed).toContain(configMap().METRICS_PORT);
  });

  test('every path copied from the build context exists and is not excluded by .dockerignore; --from names an earlier stage', () => {
    const names: string[] = [];
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY')) {
        const parts = copy.args.split(/\s+/);
        const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
        const paths = parts.filter((p) => !p.startsWith('--'));
        const sources = paths.slice(0, -1);
        expect(sources.length).toBeGreaterThan(0);
        if (from !== undefined) {
          expect(names).toContain(from);
          continue;
        }
        for (const source of sources) {
          expect([source, existsSync(join(ROOT, source))]).toEqual([source, true]);
          expect([source, ignored(source)]).toEqual([source, false]);
        }
      }
      names.push(stage.name);
    }
    // What the server reads at run time (src/paths.ts finds the root by package.json + schema/).
    const runtimeCopies = all(runtime, 'COPY').map((i) => i.args);
    expect(runtimeCopies).toEqual(expect.arrayContaining(['package.json ./', 'schema ./schema']));
  });

  test('every package the server imports is a production dependency (the image has no dev dependencies)', () => {
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
      );
    const imported = new Set<string>();
    for (const file of files('src')) {
      // Type-only imports vanish at compile time; everything else is loaded at run time.
      for (const match of read(file).matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^'.][^']*)'/gms)) {
        const specifier = match[1]!;
        if (specifier.startsWith('node:')) continue;
        imported.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
      }
    }
    const production = Object.keys(JSON.parse(read('package.json')).dependencies);
    expect([...imported].filter((name) => !production.includes(name))).toEqual([]);
    expect(imported.size).toBeGreaterThan(5);
  });

  test('.dockerignore keeps the demo issuer’s private key, local installs and builds out of the context', () => {
    for (const path of ['.dev', '.dev/dev-issuer-key.json', 'node_modules', 'dist', '.git', '.env'])
      expect([path, ignored(path)]).toEqual([path, true]);
  });
});

// --- Kubernetes -----------------------------------------------------------------------------

type Manifest = {
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
};
const K8S = 'deploy/kubernetes';
const manifests = (file: string): Manifest[] => parseAllDocuments(read(join(K8S, file))).map((doc) => doc.toJS() as Manifest);
const one = (file: string, kind: string): Manifest => {
  const found = manifests(file).filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const configMap = () => one('configmap.yaml', 'ConfigMap').data as Record<string, string>;
const secret = () => one('secret.example.yaml', 'Secret').stringData as Record<string, string>;
const deployment = () => one('deployment.yaml', 'Deployment');
const container = () => deployment().spec.template.spec.containers[0];

// Credentials: never in a ConfigMap.
const SECRET_VARIABLES = ['REDIS_URL', 'METRICS_TOKEN', 'LICENSE_NOTIFICATION_SECRET'];

describe('Kubernetes manifests', () => {
  test('kustomization lists every manifest but the Secret example', () => {
    const kustomization = manifests('kustomization.yaml')[0] as unknown as { resources: string[] };
    const files = readdirSync(join(ROOT, K8S)).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'secret.example.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  test('every ConfigMap and Secret key is a variable the server reads, as a string; credentials only in the Secret', () => {
    const known = Object.keys(ENV.shape);
    for (const [key, value] of [...Object.entries(configMap()), ...Object.entries(secret())]) {
      expect([key, known.includes(key), typeof value]).toEqual([key, true, 'string']);
    }
    for (const key of SECRET_VARIABLES) expect([key, key in configMap()]).toEqual([key, false]);
    expect(Object.keys(secret()).every((key) => SECRET_VARIABLES.includes(key))).toBe(true);
    const envFrom = container().envFrom;
    expect(envFrom).toEqual([
      { configMapRef: { name: one('configmap.yaml', 'ConfigMap').metadata.name } },
      { secretRef: { name: one('secret.example.yaml', 'Secret').metadata.name } },
    ]);
  });

  test('the ConfigMap and Secret make a configuration the server accepts in production', () => {
    const config = loadConfig({ ...configMap(), ...secret() });
    expect(config.production).toBe(true);
    expect(config.auth.mode).toBe('remote');
    expect(config.upstream.mode).toBe('remote');
    expect(config.redis).not.toBeNull();
    expect(config.metrics.port).toBe(Number(configMap().METRICS_PORT));
    expect(config.licenseNotifications).not.toBeNull();
    // Trusted documents are read from the mounted ConfigMap volume.
    const mount = container().volumeMounts.find((m: { name: string }) => m.name === 'documents');
    expect(configMap().TRUSTED_DOCUMENTS!.startsWith(`${mount.mountPath}/`)).toBe(true);
  });

  test('container ports are the configured PORT and METRICS_PORT; probes hit /healthz and /readyz on the GraphQL port', () => {
    const ports = Object.fromEntries(container().ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: Number(configMap().PORT), metrics: Number(configMap().METRICS_PORT) });
    expect(configMap().PORT).toBe(documentedDefaults().PORT);
    expect(container().livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container().readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container().startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const annotations = deployment().spec.template.metadata.annotations;
    expect(annotations).toMatchObject({ 'prometheus.io/port': configMap().METRICS_PORT, 'prometheus.io/path': '/metrics' });
    // The image's CMD runs unchanged.
    expect(container().command).toBeUndefined();
    expect(container().args).toBeUndefined();
  });

  test('a rolling update or node drain never cuts a request: readiness noticed within the shutdown delay, grace beyond the forced exit', () => {
    const probe = container().readinessProbe;
    const delayMs = loadConfig({ ...configMap(), ...secret() }).shutdownDelayMs;
    expect(probe.periodSeconds * probe.failureThreshold * 1000).toBeLessThanOrEqual(delayMs);
    // src/lifecycle.ts forces the exit 25 s after the signal.
    expect(deployment().spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(25);
    expect(deployment().spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  test('runs as the image’s non-root user, read-only, without privileges', () => {
    const pod = deployment().spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container().securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  test('Service, HorizontalPodAutoscaler and PodDisruptionBudget select and target the Deployment; the Service does not publish metrics', () => {
    const labels = deployment().spec.template.metadata.labels;
    expect(deployment().spec.selector.matchLabels).toEqual(labels);
    const service = one('service.yaml', 'Service');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
    const hpa = one('hpa.yaml', 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = one('pdb.yaml', 'PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(pdb.spec.maxUnavailable).toBeLessThan(hpa.spec.minReplicas);
  });
});
