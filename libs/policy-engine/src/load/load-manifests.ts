import type { Namespace, NetworkPolicy, Origin, PodKind, PodTemplate } from '../model.js';
import type { Note, Problem } from '../problems.js';
import { decodeNamespace, decodePodTemplate } from './decode-inventory.js';
import { decodeNetworkPolicy } from './decode-policy.js';
import { parseSources, type ManifestSource, type ParseLimits, type ParsedDocument } from './parse-sources.js';
import { child, get, isObject, ObjectReader } from './reader.js';

/** What a set of manifests declares, ready for `compileRevision`, with everything that was rejected or skipped. */
export interface LoadResult {
  readonly policies: readonly NetworkPolicy[];
  readonly namespaces: readonly Namespace[];
  /** Pods and the pod templates of workloads. */
  readonly pods: readonly PodTemplate[];
  /** Objects that were rejected, each with file, document, field path, code and message. */
  readonly problems: readonly Problem[];
  /** Skipped kinds, defaulted namespaces, non-canonical CIDRs. */
  readonly notes: readonly Note[];
}

const POD_KINDS: Readonly<Record<PodKind, readonly string[]>> = {
  Pod: ['v1'],
  Deployment: ['apps/v1'],
  StatefulSet: ['apps/v1'],
  DaemonSet: ['apps/v1'],
  ReplicaSet: ['apps/v1'],
  Job: ['batch/v1'],
  CronJob: ['batch/v1', 'batch/v1beta1'],
};

/** Bounds on one load: documents read, and how deep `List` objects may nest (default 16). */
export interface LoadLimits extends ParseLimits {
  readonly maxListDepth?: number;
}

export const DEFAULT_MAX_LIST_DEPTH = 16;

function isPodKind(kind: string): kind is PodKind {
  return Object.hasOwn(POD_KINDS, kind);
}

class Collector {
  readonly policies: NetworkPolicy[] = [];
  readonly namespaces: Namespace[] = [];
  readonly pods: PodTemplate[] = [];
  readonly problems: Problem[] = [];
  readonly notes: Note[] = [];
  private readonly seen = new Map<string, Origin>();

  constructor(readonly maxListDepth: number) {}

  /** Keeps the object only when its reader found no problem, and only the first object of a kind and name. */
  commit<T extends { readonly origin?: Origin }>(reader: ObjectReader, key: (value: T) => string, value: T | undefined, into: T[]): void {
    if (reader.problems.length > 0 || value === undefined) {
      this.problems.push(...reader.problems);
      return;
    }
    const id = key(value);
    const first = this.seen.get(id);
    if (first) {
      this.problems.push({
        file: reader.file,
        document: reader.document,
        path: reader.prefix,
        code: 'duplicate_object',
        message: `${id} is already defined in ${first.file}:${first.document}; this definition is ignored`,
      });
      return;
    }
    this.seen.set(id, { file: reader.file, document: reader.document });
    this.notes.push(...reader.notes);
    into.push(value);
  }
}

/**
 * Parses and validates manifest texts (YAML, multi-document, or JSON; `List` kinds included) and keeps the
 * NetworkPolicies (networking.k8s.io/v1), Namespaces, Pods and workloads (Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job, CronJob). Other kinds are skipped with a note. An object with any problem is dropped as a whole,
 * never half-applied; everything else still loads. Input beyond `limits` (too many documents, `List`s nested too
 * deeply) becomes a problem. Never throws on bad input.
 */
export function loadManifests(sources: readonly ManifestSource[], limits: LoadLimits = {}): LoadResult {
  const { documents, problems } = parseSources(sources, limits);
  return loadDocuments(documents, problems, limits);
}

/** The second half of `loadManifests`, for objects that are already parsed (the conformance runner's policies). */
export function loadDocuments(documents: readonly ParsedDocument[], parseProblems: readonly Problem[] = [], limits: LoadLimits = {}): LoadResult {
  const out = new Collector(limits.maxListDepth ?? DEFAULT_MAX_LIST_DEPTH);
  out.problems.push(...parseProblems);
  for (const { file, document, value } of documents) decodeObject(out, value, file, document, '', undefined, 0);
  const { policies, namespaces, pods, problems, notes } = out;
  return { policies, namespaces, pods, problems, notes };
}

function decodeObject(
  out: Collector,
  value: unknown,
  file: string,
  document: number,
  prefix: string,
  defaults: { kind: string; apiVersion: string } | undefined,
  depth: number,
): void {
  const reader = new ObjectReader(file, document, prefix);
  if (!isObject(value)) {
    reader.problem('', 'invalid_document', 'must be a Kubernetes object (a map with apiVersion, kind and metadata)');
    out.problems.push(...reader.problems);
    return;
  }
  const kind = reader.string(get(value, 'kind'), 'kind') ?? defaults?.kind;
  const apiVersion = reader.string(get(value, 'apiVersion'), 'apiVersion') ?? defaults?.apiVersion;
  if (!kind) reader.problem('kind', 'missing_field', 'is required');
  if (!apiVersion) reader.problem('apiVersion', 'missing_field', 'is required');
  if (!kind || !apiVersion) {
    out.problems.push(...reader.problems);
    return;
  }
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(get(value, 'items')))) {
    if (depth >= out.maxListDepth) {
      reader.problem('', 'too_deep', `${kind} objects nest more than ${out.maxListDepth} deep; its items are not read`);
      out.problems.push(...reader.problems);
      return;
    }
    const itemDefaults = kind === 'List' ? undefined : { kind: kind.slice(0, -'List'.length), apiVersion };
    reader.list(get(value, 'items'), 'items').forEach((item, i) => {
      decodeObject(out, item, file, document, child(prefix, `items[${i}]`), itemDefaults, depth + 1);
    });
    out.problems.push(...reader.problems);
    return;
  }
  const skip = (code: 'skipped_kind' | 'unsupported_api_version', message: string) => {
    reader.note('', code, message);
    out.notes.push(...reader.notes);
    out.problems.push(...reader.problems);
  };
  const versions = kind === 'NetworkPolicy' ? ['networking.k8s.io/v1'] : kind === 'Namespace' ? ['v1'] : isPodKind(kind) ? POD_KINDS[kind] : undefined;
  if (versions === undefined) return skip('skipped_kind', `skipped ${kind}${displayName(value)} (${apiVersion}): not a kind the policy engine uses`);
  if (!versions.includes(apiVersion)) {
    return skip('unsupported_api_version', `skipped ${kind}${displayName(value)}: apiVersion ${apiVersion} is not ${versions.join(' or ')}`);
  }
  const origin: Origin = { file, document };
  if (kind === 'NetworkPolicy') {
    out.commit(reader, (p) => `NetworkPolicy ${p.namespace}/${p.name}`, decodeNetworkPolicy(reader, value, origin), out.policies);
  } else if (kind === 'Namespace') {
    out.commit(reader, (n) => `Namespace ${n.name}`, decodeNamespace(reader, value, origin), out.namespaces);
  } else if (isPodKind(kind)) {
    out.commit(reader, (p) => `${p.kind} ${p.namespace}/${p.name}`, decodePodTemplate(reader, value, kind, origin), out.pods);
  }
}

/** ` "name"` for messages about an object, or nothing when it has no readable name. */
function displayName(object: Readonly<Record<string, unknown>>): string {
  const meta = get(object, 'metadata');
  const name = isObject(meta) ? get(meta, 'name') : undefined;
  return typeof name === 'string' ? ` "${name}"` : '';
}
