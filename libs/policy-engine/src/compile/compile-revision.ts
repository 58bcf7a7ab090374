import { formatIp, parseIp } from '../cidr.js';
import type { Decision, Endpoint, PodEndpoint } from '../decision.js';
import type { Labels, Namespace, NetworkPolicy, PodKind, PodTemplate } from '../model.js';
import { compareText, compilePolicies, protocolIndex } from './compiled-policy.js';
import { DecisionCache, type CacheStats } from './decision-cache.js';
import { Evaluator, INVALID_PORT, UNSUPPORTED_PROTOCOL, type DecisionCore } from './evaluate.js';
import { DEFAULT_IDENTITY_LIMITS, IdentityTable, type Identity, type IdentityLimits } from './identity.js';

/** What a revision declares: its policies and the inventory their selectors and named ports refer to. */
export interface RevisionInput {
  readonly policies: readonly NetworkPolicy[];
  readonly namespaces?: readonly Namespace[];
  readonly pods?: readonly PodTemplate[];
}

export interface CompileOptions {
  /** Stamped on every decision. */
  readonly revision?: string | number;
  /** Cache decisions (default true). Turning it off is for comparisons and tests. */
  readonly cache?: boolean;
  /** Entries after which the decision cache starts over (default 1,000,000: at most 32 MiB of slots). */
  readonly cacheLimit?: number;
  /**
   * Bounds of the identities remembered (default 200,000 identities or 64 MiB): when either is reached, identities,
   * memos and cached decisions start over as a new generation. Flows choose their labels and namespaces, so
   * without a bound a stream of unique label sets would grow memory without limit.
   */
  readonly identityLimits?: IdentityLimits;
}

/**
 * An immutable, compiled policy revision: evaluates connections and answers inventory lookups.
 * Evaluation is lookups over data compiled once; decisions are cached per (source identity, destination
 * identity, port, protocol), where an identity is the namespace with its labels plus the pod's labels (and,
 * when the revision uses them, which ipBlocks its address falls in and its named ports).
 */
export interface PolicySnapshot {
  readonly revision: string | number | undefined;
  /** Policies in canonical order (namespace, then name): the order decisions consider them in. */
  readonly policies: readonly NetworkPolicy[];
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly PodTemplate[];
  /**
   * The declared verdict for a connection from `source` to `destination` on `port`/`protocol`, with both halves
   * and their provenance. Never throws: a port outside 0–65535 or a protocol other than TCP/UDP/SCTP is reported
   * as an issue (`invalid_port`, `unsupported_protocol`) and matches only rules that list no ports.
   */
  evaluate(source: Endpoint, destination: Endpoint, port: number, protocol: string): Decision;
  /** Labels of a namespace the revision declares (with `kubernetes.io/metadata.name`), or undefined. */
  namespaceLabels(namespace: string): Labels | undefined;
  /** A Pod by name, else a workload by name (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
  findPod(namespace: string, name: string, kind?: PodKind): PodTemplate | undefined;
  /** The Pod that reports this address in `status.podIP(s)`. */
  podByIp(ip: string): PodTemplate | undefined;
  /**
   * A ready-made endpoint for a pod or workload of the inventory: its labels, its namespace's labels (when the
   * revision declares the namespace), its first IP and its named ports. The same frozen object is returned on
   * every call, which keeps repeated evaluations on the cheapest path.
   */
  endpoint(namespace: string, name: string, kind?: PodKind): PodEndpoint | undefined;
  /** Counters of the decision cache of the current generation. */
  cacheStats(): CacheStats;
  /** Identities of the current generation, the bytes they hold (approximately) and how many generations were started. */
  identityStats(): IdentityStats;
}

/** See {@link PolicySnapshot.identityStats}. */
export interface IdentityStats {
  readonly identities: number;
  readonly bytes: number;
  readonly generations: number;
}

const KIND_ORDER: readonly PodKind[] = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];

/**
 * Compiles a revision into an immutable snapshot. Policies are put in canonical order, selectors interned and
 * ipBlocks parsed once; input that did not come through `loadManifests` is trusted to be valid (an ipBlock that
 * does not parse matches nothing). Never throws on the content of policies.
 */
export function compileRevision(input: RevisionInput, options: CompileOptions = {}): PolicySnapshot {
  return new CompiledSnapshot(input, options);
}

class CompiledSnapshot implements PolicySnapshot {
  readonly revision: string | number | undefined;
  readonly policies: readonly NetworkPolicy[];
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly PodTemplate[];
  private readonly namespaceIndex = new Map<string, Namespace>();
  private readonly podIndex = new Map<string, PodTemplate[]>();
  private readonly ipIndex = new Map<string, PodTemplate>();
  private readonly endpoints = new Map<PodTemplate, PodEndpoint>();
  private identities: IdentityTable;
  private evaluator: Evaluator;
  private cache: DecisionCache | undefined;
  private generations = 1;
  private readonly compiled: ReturnType<typeof compilePolicies>;
  private readonly identityLimits: IdentityLimits;
  private readonly cacheLimit: number | undefined;

  constructor(input: RevisionInput, options: CompileOptions) {
    this.revision = options.revision;
    // A private, frozen copy: nothing the caller does later can change what this revision decides.
    const compiled = compilePolicies(deepFreeze(structuredClone(input.policies)));
    this.policies = Object.freeze(compiled.sorted);
    this.namespaces = deepFreeze(structuredClone(input.namespaces ?? []));
    this.pods = deepFreeze(structuredClone(input.pods ?? []));
    for (const ns of this.namespaces) if (!this.namespaceIndex.has(ns.name)) this.namespaceIndex.set(ns.name, ns);
    for (const pod of this.pods) {
      const key = `${pod.namespace}/${pod.name}`;
      const list = this.podIndex.get(key);
      if (list) list.push(pod);
      else this.podIndex.set(key, [pod]);
      if (pod.kind !== 'Pod') continue;
      for (const ip of pod.ips) {
        const canonical = canonicalIp(ip);
        if (canonical !== undefined && !this.ipIndex.has(canonical)) this.ipIndex.set(canonical, pod);
      }
    }
    for (const list of this.podIndex.values()) {
      list.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareText(a.name, b.name));
    }
    this.compiled = compiled;
    this.identityLimits = options.identityLimits ?? DEFAULT_IDENTITY_LIMITS;
    this.cacheLimit = options.cache === false ? undefined : (options.cacheLimit ?? 1_000_000);
    this.identities = this.newIdentityTable();
    this.evaluator = new Evaluator(compiled.byNamespace, compiled.selectors.size);
    this.cache = this.cacheLimit === undefined ? undefined : new DecisionCache(this.cacheLimit);
  }

  private newIdentityTable(): IdentityTable {
    const compiled = this.compiled;
    return new IdentityTable(
      compiled.blocks, (ns) => this.namespaceIndex.get(ns)?.labels, compiled.namedPorts, this.identityLimits, compiled.selectors.size,
    );
  }

  /** Drops identities, memos and cached decisions together (decisions are cached by identity id). */
  private newGeneration(): void {
    this.identities = this.newIdentityTable();
    this.evaluator = new Evaluator(this.compiled.byNamespace, this.compiled.selectors.size);
    this.cache = this.cacheLimit === undefined ? undefined : new DecisionCache(this.cacheLimit);
    this.generations++;
  }

  evaluate(source: Endpoint, destination: Endpoint, port: number, protocol: string): Decision {
    if (this.identities.full) {
      // A new generation before resolving, so both endpoints of this decision are resolved in the same table.
      this.newGeneration();
    }
    const src = this.identities.resolve(source);
    const dst = this.identities.resolve(destination);
    const proto = protocolIndex(protocol);
    const validPort = Number.isInteger(port) && port >= 0 && port <= 65535;
    let core: number;
    if (this.cache !== undefined && validPort && proto < 3) {
      const portProtocol = port * 4 + proto;
      core = this.cache.get(src, dst, portProtocol);
      if (core < 0) {
        core = this.evaluator.decide(this.identities.all[src] as Identity, this.identities.all[dst] as Identity, port, proto, 0);
        this.cache.set(src, dst, portProtocol, core);
      }
    } else {
      const issues = (validPort ? 0 : INVALID_PORT) | (proto < 3 ? 0 : UNSUPPORTED_PROTOCOL);
      const identities = this.identities.all;
      core = this.evaluator.decide(identities[src] as Identity, identities[dst] as Identity, validPort ? port : -1, proto, issues);
    }
    const { verdict, egress, ingress, issues } = this.evaluator.cores[core] as DecisionCore;
    return { verdict, source, destination, port, protocol, egress, ingress, issues, revision: this.revision };
  }

  namespaceLabels(namespace: string): Labels | undefined {
    return this.namespaceIndex.get(namespace)?.labels;
  }

  findPod(namespace: string, name: string, kind?: PodKind): PodTemplate | undefined {
    const list = this.podIndex.get(`${namespace}/${name}`);
    return kind === undefined ? list?.[0] : list?.find((p) => p.kind === kind);
  }

  podByIp(ip: string): PodTemplate | undefined {
    const canonical = canonicalIp(ip);
    return canonical === undefined ? undefined : this.ipIndex.get(canonical);
  }

  endpoint(namespace: string, name: string, kind?: PodKind): PodEndpoint | undefined {
    const pod = this.findPod(namespace, name, kind);
    if (pod === undefined) return undefined;
    let endpoint = this.endpoints.get(pod);
    if (endpoint === undefined) {
      const namespaceLabels = this.namespaceLabels(pod.namespace);
      const ip = pod.ips[0];
      endpoint = Object.freeze({
        kind: 'pod',
        namespace: pod.namespace,
        name: pod.name,
        labels: pod.labels,
        ...(namespaceLabels !== undefined && { namespaceLabels }),
        ...(ip !== undefined && { ip }),
        namedPorts: pod.namedPorts,
      });
      this.endpoints.set(pod, endpoint);
    }
    return endpoint;
  }

  cacheStats(): CacheStats {
    return this.cache?.stats() ?? { entries: 0, hits: 0, misses: 0 };
  }

  identityStats(): IdentityStats {
    return { identities: this.identities.all.length, bytes: this.identities.heldBytes, generations: this.generations };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function canonicalIp(ip: string): string | undefined {
  const parsed = parseIp(ip);
  return parsed && formatIp(parsed);
}
