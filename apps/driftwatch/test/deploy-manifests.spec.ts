import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { isDialAddress, loadConfig } from '@driftwatch/config';
import { compileRevision, loadManifests, type Endpoint, type PolicySnapshot } from '@driftwatch/policy-engine';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  KUSTOMIZATION_KINDS,
  readYamlDocuments,
  resolveKustomization,
  yamlFilesUnder,
  type ManifestObject,
  type ResolvedKustomization,
} from './kustomize-files.js';

// The Kubernetes manifests under deploy/kubernetes, checked without kubectl or a cluster: every object against the
// Kubernetes schemas (kubernetes-models, API 1.27), the kustomizations' references, the settings the containers get
// (through Driftwatch's own config parser), and Driftwatch's NetworkPolicies through Driftwatch's own engine. When
// kubectl is on the machine, the rendered overlays are checked as well.

const root = join(import.meta.dirname, '..', '..', '..');
const kube = join(root, 'deploy', 'kubernetes');
const overlays = ['cilium', 'calico', 'scale-out'] as const;
type Overlay = (typeof overlays)[number];
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The schema of each kind the manifests use; a new kind must be added here to be checked. */
const MODELS: Record<string, new (value: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

/** The schema problems of one object, as `path: message` lines (none: valid). */
function schemaProblems(object: ManifestObject): string[] {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`no schema known for ${object.apiVersion} ${object.kind} (add it to MODELS)`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    return errors ? errors.map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`) : [(error as Error).message];
  }
}

const rel = (file: string) => relative(root, file);

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: unknown;
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string }; secret?: { secretName: string }; hostPath?: { path: string } }[];
}
type Workload = ManifestObject & {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: { metadata: { name: string } }[] };
};

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);
const isWorkload = (o: ManifestObject): o is Workload => WORKLOAD_KINDS.has(o.kind);
const isDriftwatch = (c: Container) => c.image.startsWith('driftwatch:');

const resolved = new Map<Overlay, ResolvedKustomization>(overlays.map((o) => [o, resolveKustomization(join(kube, 'overlays', o))]));
const objectsOf = (overlay: Overlay) => resolved.get(overlay)?.objects.map((o) => o.value) ?? [];

describe('every YAML file under deploy/kubernetes', () => {
  const files = yamlFilesUnder(kube);

  it('there are manifests, bases, components and the three overlays', () => {
    expect(files.length).toBeGreaterThan(15);
    for (const o of overlays) expect(files).toContain(join(kube, 'overlays', o, 'kustomization.yaml'));
  });

  for (const file of files) {
    it(`${rel(file)}: parses, and each object is valid against the Kubernetes schema`, () => {
      const docs = readYamlDocuments(file);
      expect(docs.length).toBeGreaterThan(0);
      for (const [i, doc] of docs.entries()) {
        const object = doc as ManifestObject;
        if ((KUSTOMIZATION_KINDS as readonly string[]).includes(object.kind)) continue; // checked by resolving below
        expect.soft(schemaProblems(object), `${rel(file)} document ${i + 1} (${object.kind} ${object.metadata?.name})`).toEqual([]);
        expect.soft(object.metadata?.namespace, `${object.kind} ${object.metadata?.name} names its namespace`).toBe(
          object.kind === 'Namespace' ? undefined : 'driftwatch',
        );
      }
    });
  }

  it('every kustomization and component resolves: its resources, components and generator files exist', () => {
    const dirs = files.filter((f) => basename(f) === 'kustomization.yaml').map((f) => join(f, '..'));
    expect(dirs.map((d) => relative(kube, d)).sort()).toEqual([
      'base',
      'components/in-cluster-postgres',
      'components/single-collector',
      'overlays/calico',
      'overlays/cilium',
      'overlays/scale-out',
    ]);
    for (const dir of dirs) expect(() => resolveKustomization(dir, dir.includes('/components/') ? 'Component' : 'Kustomization')).not.toThrow();
    // every manifest file is used by some kustomization, except the Secrets' example
    const used = new Set(overlays.flatMap((o) => resolved.get(o)?.objects.map((x) => x.file) ?? []));
    const unused = files.filter((f) => basename(f) !== 'kustomization.yaml' && !used.has(f)).map(rel);
    expect(unused).toEqual(['deploy/kubernetes/secrets.example.yaml']);
  });
});

describe.each(overlays)('overlay %s', (overlay) => {
  const objects = objectsOf(overlay);
  const workloads = objects.filter(isWorkload);
  const secretsExample = readYamlDocuments(join(kube, 'secrets.example.yaml')) as (ManifestObject & { stringData: Record<string, string> })[];

  it('names each object once, and patches only workloads and the Namespace (so the NetworkPolicies here are the deployed ones)', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    for (const { target } of resolved.get(overlay)?.patches ?? []) {
      expect(['Deployment', 'DaemonSet', 'StatefulSet', 'Namespace']).toContain(target.kind);
      expect(keys).toContain(`${target.kind}/${target.name}`);
    }
  });

  it('declares (POLICY_DIR) exactly the NetworkPolicies it deploys, so Driftwatch watches its own namespace', () => {
    const declared = resolved.get(overlay)?.generatedConfigMaps.get('driftwatch-policies') ?? [];
    const fromFiles = declared.flatMap((f) => readYamlDocuments(f) as ManifestObject[]).map((p) => p.metadata.name).sort();
    const deployed = objects.filter((o) => o.kind === 'NetworkPolicy').map((p) => p.metadata.name).sort();
    expect(fromFiles).toEqual(deployed);
  });

  it('runs every pod as non-root with a read-only root, no privilege escalation, no capabilities, seccomp, limits and a /tmp', () => {
    expect(workloads.length).toBeGreaterThan(0);
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      const where = `${w.kind} ${w.metadata.name}`;
      expect(pod.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken, where).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext, where).toEqual(expect.objectContaining({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }));
        for (const kind of ['requests', 'limits'] as const) expect(Object.keys(c.resources?.[kind] ?? {}).sort(), `${where} ${kind}`).toEqual(['cpu', 'memory']);
        const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(tmp && pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, `${where} mounts an emptyDir on /tmp`).toBeDefined();
        const volumes = [...(pod.volumes ?? []).map((v) => v.name), ...(w.spec.volumeClaimTemplates ?? []).map((v) => v.metadata.name)];
        for (const m of c.volumeMounts ?? []) expect(volumes, `${where} volume ${m.name}`).toContain(m.name);
      }
    }
  });

  it(`runs the image of this version (driftwatch:${version}), and only \`serve\` or \`collect\``, () => {
    const containers = workloads.flatMap((w) => w.spec.template.spec.containers).filter(isDriftwatch);
    expect(containers.length).toBeGreaterThan(0);
    for (const c of containers) {
      expect(c.image).toBe(`driftwatch:${version}`);
      expect(['serve', 'collect']).toContain(c.args?.[0]);
    }
  });

  it('gives Driftwatch only settings its config knows, with values it accepts', () => {
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers.filter(isDriftwatch)) {
        const env: Record<string, string> = {};
        // A variable only expanded into the arguments (`$(NODE_NAME)`) is Kubernetes', not a setting.
        const forArgs = new Set((c.args ?? []).flatMap((a) => [...a.matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1])));
        for (const e of (c.env ?? []).filter((v) => !forArgs.has(v.name))) {
          // Secrets hold values of the right form once created; placeholders of that form stand in for them.
          env[e.name] = e.value ?? (e.name === 'DATABASE_URL' ? 'postgresql://driftwatch:secret@postgres.driftwatch.svc:5432/driftwatch' : 'x'.repeat(32));
        }
        const config = loadConfig(env); // throws, naming every bad value
        for (const name of Object.keys(env)) expect(Object.keys(config), `${w.metadata.name}: ${name} is not a Driftwatch setting`).toContain(name);
      }
    }
  });

  it('takes every Secret key it uses from the Secrets described in secrets.example.yaml', () => {
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = secretsExample.find((s) => s.metadata.name === ref.name);
          expect(secret, `${w.metadata.name}: Secret ${ref.name}`).toBeDefined();
          expect(Object.keys(secret?.stringData ?? {}), `${w.metadata.name}: Secret ${ref.name} key ${ref.key}`).toContain(ref.key);
        }
      }
      for (const v of w.spec.template.spec.volumes ?? []) {
        if (v.secret) expect(secretsExample.map((s) => s.metadata.name), `${w.metadata.name}: Secret ${v.secret.secretName}`).toContain(v.secret.secretName);
        if (v.configMap) expect(v.configMap.name).toBe('driftwatch-policies');
      }
    }
  });

  it('probes every `serve` on /api/v1/health (startup, readiness) and its port (liveness)', () => {
    const serving = workloads.filter((w) => w.spec.template.spec.containers.some((c) => c.args?.[0] === 'serve'));
    expect(serving.length).toBeGreaterThan(0);
    for (const w of serving) {
      const c = w.spec.template.spec.containers[0];
      expect(c?.ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 8080 }));
      expect(c?.env).toContainEqual({ name: 'HOST', value: '0.0.0.0' });
      expect(c?.startupProbe?.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
      expect(c?.readinessProbe?.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
      expect(c?.livenessProbe).toEqual(expect.objectContaining({ tcpSocket: { port: 'http' } }));
    }
  });

  it('routes the API Service to the API pods only, on a port they name', () => {
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'driftwatch-api') as
      | (ManifestObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } })
      | undefined;
    const selected = workloads.filter((w) => Object.entries(service?.spec.selector ?? { none: 'none' }).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
    expect(selected.map((w) => w.metadata.name)).toEqual(['driftwatch-api']);
    const portNames = selected[0]?.spec.template.spec.containers[0]?.ports?.map((p) => p.name);
    for (const p of service?.spec.ports ?? []) expect(portNames).toContain(p.targetPort);
  });
});

// --- Driftwatch's NetworkPolicies, judged by Driftwatch's engine --------------------------------------------------

/** The cluster around Driftwatch: DNS, the flow sources, a namespace allowed to use the API and one that is not. */
const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: calico-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: dashboards, labels: {driftwatch.dev/api-access: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: coredns, image: coredns}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hubble-relay, namespace: kube-system, labels: {k8s-app: hubble-relay}}
spec: {containers: [{name: relay, image: relay, ports: [{name: grpc, containerPort: 4245}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: goldmane, namespace: calico-system, labels: {k8s-app: goldmane}}
spec: {containers: [{name: goldmane, image: goldmane}]}
---
apiVersion: v1
kind: Pod
metadata: {name: grafana, namespace: dashboards, labels: {app: grafana}}
spec: {containers: [{name: grafana, image: grafana}]}
---
apiVersion: v1
kind: Pod
metadata: {name: random, namespace: shop, labels: {app: random}}
spec: {containers: [{name: random, image: random}]}
`;

/** `ns/Kind/name` of a pod or workload, or an IP outside the cluster. */
type Peer = string;
const api = 'driftwatch/Deployment/driftwatch-api';
const collector = 'driftwatch/Deployment/driftwatch-collector';
const nodeCollector = 'driftwatch/DaemonSet/driftwatch-node-collector';
const postgres = 'driftwatch/StatefulSet/postgres';
const dns = 'kube-system/Pod/coredns';
const relay = 'kube-system/Pod/hubble-relay';
const goldmane = 'calico-system/Pod/goldmane';
const dashboard = 'dashboards/Pod/grafana';
const stranger = 'shop/Pod/random';

type Row = [overlays: readonly Overlay[] | 'all', from: Peer, to: Peer, port: number, protocol: string, verdict: 'allow' | 'deny', why: string];
const all = 'all' as const;
const single = ['cilium', 'calico'] as const;
const CONNECTIONS: Row[] = [
  // what Driftwatch needs
  [all, api, postgres, 5432, 'TCP', 'allow', 'the API reads and writes the database'],
  [all, api, dns, 53, 'UDP', 'allow', 'names resolve'],
  [all, api, dns, 53, 'TCP', 'allow', 'long DNS answers over TCP'],
  [all, dashboard, api, 8080, 'TCP', 'allow', 'dashboards in a labeled namespace reach the API'],
  [all, api, '93.184.216.34', 443, 'TCP', 'allow', 'webhooks to a receiver on the internet'],
  [all, api, '2606:2800:220:1::1', 443, 'TCP', 'allow', 'webhooks over IPv6'],
  [single, collector, postgres, 5432, 'TCP', 'allow', 'the collector writes flows'],
  [single, collector, dns, 53, 'UDP', 'allow', 'the collector resolves its source'],
  [single, collector, '93.184.216.34', 443, 'TCP', 'allow', 'the collector runs serve, which delivers webhooks too'],
  [['cilium'], collector, relay, 4245, 'TCP', 'allow', 'the collector reads Hubble Relay (pod port behind Service port 80)'],
  [['calico'], collector, goldmane, 7443, 'TCP', 'allow', 'the collector streams from Goldmane'],
  [['scale-out'], nodeCollector, postgres, 5432, 'TCP', 'allow', 'node collectors write flows'],
  [['scale-out'], nodeCollector, dns, 53, 'UDP', 'allow', 'node collectors resolve the database'],
  // and nothing else
  [all, stranger, postgres, 5432, 'TCP', 'deny', 'a pod of another namespace never reaches the database'],
  [all, dashboard, postgres, 5432, 'TCP', 'deny', 'API access is not database access'],
  [all, stranger, api, 8080, 'TCP', 'deny', 'a namespace without the label cannot use the API'],
  [all, dashboard, api, 9090, 'TCP', 'deny', 'only the API port'],
  [all, api, stranger, 8080, 'TCP', 'deny', 'the API opens no connection into other namespaces'],
  [all, api, relay, 4245, 'TCP', 'deny', 'the API does not read flow sources'],
  [all, api, '93.184.216.34', 80, 'TCP', 'deny', 'webhooks over plain HTTP'],
  [all, api, '10.1.2.3', 443, 'TCP', 'deny', 'private addresses (the same ranges Driftwatch refuses for webhooks)'],
  [all, api, '169.254.169.254', 443, 'TCP', 'deny', 'cloud metadata'],
  [all, api, '100.64.0.1', 443, 'TCP', 'deny', 'CGNAT'],
  [all, api, 'fd00::1', 443, 'TCP', 'deny', 'IPv6 unique-local'],
  [all, api, dns, 5353, 'UDP', 'deny', 'DNS port only'],
  [all, postgres, '93.184.216.34', 443, 'TCP', 'deny', 'the database has no egress at all'],
  [all, postgres, dns, 53, 'UDP', 'deny', 'not even DNS'],
  [all, postgres, api, 8080, 'TCP', 'deny', 'nor to Driftwatch'],
  [single, stranger, collector, 8080, 'TCP', 'deny', 'nobody reaches the collector'],
  [single, dashboard, collector, 8080, 'TCP', 'deny', 'the collector is not behind the API policy'],
  [['calico'], collector, relay, 4245, 'TCP', 'deny', 'calico: no Hubble'],
  [['cilium'], collector, goldmane, 7443, 'TCP', 'deny', 'cilium: no Goldmane'],
  [['scale-out'], nodeCollector, '93.184.216.34', 443, 'TCP', 'deny', 'collect sends no webhooks'],
  [['scale-out'], nodeCollector, relay, 4245, 'TCP', 'deny', 'node collectors read the node socket, not Relay'],
];

function snapshotOf(overlay: Overlay): { snapshot: PolicySnapshot; problems: string[] } {
  const sources = [
    ...objectsOf(overlay).map((o, i) => ({ name: `${overlay}/${i}-${o.kind}-${o.metadata.name}.yaml`, text: stringify(o) })),
    { name: 'cluster.yaml', text: CLUSTER },
  ];
  const loaded = loadManifests(sources);
  return { snapshot: compileRevision(loaded, { revision: overlay }), problems: loaded.problems.map((p) => `${p.file}:${p.document}:${p.path}: ${p.message}`) };
}

function endpoint(snapshot: PolicySnapshot, peer: Peer): Endpoint {
  const parts = peer.split('/');
  if (parts.length !== 3) return { kind: 'external', ip: peer };
  const [namespace, kind, name] = parts as [string, 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet', string];
  const found = snapshot.endpoint(namespace, name, kind);
  if (!found) throw new Error(`no ${peer} in the manifests`);
  return found;
}

describe.each(overlays)('Driftwatch\'s own NetworkPolicies (%s), by its engine', (overlay) => {
  const { snapshot, problems } = snapshotOf(overlay);

  it('load with no problem', () => {
    expect(problems).toEqual([]);
    expect(snapshot.policies.length).toBeGreaterThanOrEqual(6);
  });

  const rows = CONNECTIONS.filter(([on]) => on === 'all' || on.includes(overlay));
  it.each(rows.map(([, from, to, port, protocol, verdict, why]) => ({ from, to, port, protocol, verdict, why })))(
    '$verdict $from → $to $port/$protocol: $why',
    ({ from, to, port, protocol, verdict }) => {
      const decision = snapshot.evaluate(endpoint(snapshot, from), endpoint(snapshot, to), port, protocol);
      expect(decision.issues).toEqual([]);
      expect(decision.verdict).toBe(verdict);
    },
  );
});

// --- Known gap, kept visible: the scale-out DaemonSet's source ----------------------------------------------------

describe('scale-out node collectors', () => {
  const daemonSet = objectsOf('scale-out').find((o) => o.kind === 'DaemonSet') as Workload | undefined;
  const args = daemonSet?.spec.template.spec.containers[0]?.args ?? [];
  const address = args[args.indexOf('--hubble') + 1] ?? '';

  it('read the node-local Hubble socket, mounted from the node', () => {
    expect(address).toBe('unix:///var/run/cilium/hubble.sock');
    expect(daemonSet?.spec.template.spec.volumes?.find((v) => v.hostPath)?.hostPath?.path).toBe('/var/run/cilium');
  });

  it('is an address `collect --hubble` dials, and each node names its source after itself', () => {
    expect(isDialAddress(address)).toBe(true);
    const container = daemonSet?.spec.template.spec.containers[0];
    expect(args[args.indexOf('--source-id') + 1]).toBe('hubble:$(NODE_NAME)');
    expect(container?.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
  });
});

// --- The real renderer, when it is here ----------------------------------------------------------------------------

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!kubectl)(`kubectl kustomize${kubectl ? '' : ' (skipped: no kubectl on this machine)'}`, () => {
  it.each(overlays)('renders %s into valid objects: those resolved here, patched, and its policies unchanged', (overlay) => {
    const run = spawnSync('kubectl', ['kustomize', join(kube, 'overlays', overlay)], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const rendered = parseAllDocuments(run.stdout).map((d) => d.toJS() as ManifestObject);
    for (const object of rendered) expect(schemaProblems(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    const generatedName = /^driftwatch-policies-[a-z0-9]{10}$/;
    const names = rendered.map((o) => `${o.kind}/${o.kind === 'ConfigMap' && generatedName.test(o.metadata.name) ? 'driftwatch-policies' : o.metadata.name}`).sort();
    expect(names).toEqual([...objectsOf(overlay).map((o) => `${o.kind}/${o.metadata.name}`), 'ConfigMap/driftwatch-policies'].sort());
    for (const policy of objectsOf(overlay).filter((o) => o.kind === 'NetworkPolicy')) {
      expect(rendered.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === policy.metadata.name)).toEqual(policy);
    }
    // the pods mount the generated ConfigMap under its hashed name
    const configMap = rendered.find((o) => o.kind === 'ConfigMap');
    for (const w of rendered.filter(isWorkload)) {
      for (const v of w.spec.template.spec.volumes ?? []) if (v.configMap) expect(v.configMap.name).toBe(configMap?.metadata.name);
    }
  });
});
