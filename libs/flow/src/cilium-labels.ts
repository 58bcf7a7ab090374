/**
 * Cilium label lists (`["k8s:app=reviews", "k8s:io.kubernetes.pod.namespace=bookinfo", "reserved:world"]`)
 * split into what NetworkPolicy matching needs: the pod's own labels, its namespace's labels, the reserved
 * identity names and the CIDR. See shared/reference/hubble-api.md §7.
 */
import { newLabelMap } from './field-reader.js';
import type { LabelMap } from './flow.model.js';

const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
const NAMESPACE_LABELS = 'io.cilium.k8s.namespace.labels.';
const POLICY_BOOKKEEPING = 'io.cilium.k8s.policy.';
const POLICY_CLUSTER = 'io.cilium.k8s.policy.cluster';
const NO_STRINGS: readonly string[] = Object.freeze([]);

/** What one Cilium label list says about an endpoint. Shared and frozen: never mutate. */
export interface CiliumLabels {
  /** `k8s:` labels minus Cilium bookkeeping; `undefined` when the list had no `k8s:` label at all. */
  readonly labels: LabelMap | undefined;
  /** From `k8s:io.cilium.k8s.namespace.labels.*`; `undefined` when there was none. */
  readonly namespaceLabels: LabelMap | undefined;
  /** From `k8s:io.kubernetes.pod.namespace`. */
  readonly namespace: string | undefined;
  /** From `k8s:io.cilium.k8s.policy.cluster`. */
  readonly cluster: string | undefined;
  /** `reserved:` names, e.g. `['host', 'remote-node']`. */
  readonly reserved: readonly string[];
  /** The `cidr:` label, IPv6 `-` separators turned back into `:`. */
  readonly cidr: string | undefined;
  /** Whether an `fqdn:` label was present (a node-local FQDN identity). */
  readonly fqdn: boolean;
}

function cidrText(value: string): string {
  return value.includes('-') ? value.split('-').join(':') : value;
}

/** Parses one Cilium label list. Malformed entries (no source prefix) are kept as pod labels under their key. */
export function parseCiliumLabels(list: readonly string[]): CiliumLabels {
  let labels: Record<string, string> | undefined;
  let namespaceLabels: Record<string, string> | undefined;
  let namespace: string | undefined;
  let cluster: string | undefined;
  let reserved: string[] | undefined;
  let cidr: string | undefined;
  let fqdn = false;
  for (let i = 0; i < list.length; i++) {
    const entry = list[i] as string;
    const colon = entry.indexOf(':');
    const eq = entry.indexOf('=', colon + 1);
    const sourceName = colon < 0 ? 'k8s' : entry.slice(0, colon);
    const key = eq < 0 ? entry.slice(colon + 1) : entry.slice(colon + 1, eq);
    const value = eq < 0 ? '' : entry.slice(eq + 1);
    if (sourceName === 'k8s') {
      labels ??= newLabelMap();
      if (key === POD_NAMESPACE) {
        namespace = value;
      } else if (key.startsWith(NAMESPACE_LABELS)) {
        namespaceLabels ??= newLabelMap();
        namespaceLabels[key.slice(NAMESPACE_LABELS.length)] = value;
      } else if (key.startsWith(POLICY_BOOKKEEPING)) {
        if (key === POLICY_CLUSTER) cluster = value;
      } else {
        labels[key] = value;
      }
    } else if (sourceName === 'reserved') {
      (reserved ??= []).push(key);
    } else if (sourceName === 'cidr') {
      cidr = cidrText(key);
    } else if (sourceName === 'fqdn') {
      fqdn = true;
    }
  }
  return Object.freeze({
    labels: labels && Object.freeze(labels),
    namespaceLabels: namespaceLabels && Object.freeze(namespaceLabels),
    namespace,
    cluster,
    reserved: reserved ? Object.freeze(reserved) : NO_STRINGS,
    cidr,
    fqdn,
  });
}

const EMPTY_LABELS: CiliumLabels = parseCiliumLabels([]);

interface CacheEntry {
  readonly list: readonly string[];
  readonly parsed: CiliumLabels;
}

/**
 * Remembers parsed label lists per Cilium identity. An identity stands for one label set, so most flows hit
 * the cache; each hit is still checked against the stored list, so a reused identity number (another
 * cluster, a recycled identity) is parsed afresh rather than trusted. Bounded: cleared when full.
 */
export class CiliumLabelCache {
  private readonly entries = new Map<number, CacheEntry>();

  constructor(private readonly maxEntries = 16_384) {}

  /** Parsed labels for `list`, reused when `identity` was seen with the same list. */
  get(identity: number | undefined, list: readonly string[] | undefined): CiliumLabels {
    if (list === undefined || list.length === 0) return EMPTY_LABELS;
    if (identity === undefined || identity === 0) return parseCiliumLabels(list);
    const hit = this.entries.get(identity);
    if (hit !== undefined && sameList(hit.list, list)) return hit.parsed;
    const parsed = parseCiliumLabels(list);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(identity, { list: list.slice(), parsed });
    return parsed;
  }

  /** Number of identities remembered. */
  get size(): number {
    return this.entries.size;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses labels without a cache (used when a caller passes none). */
export function parseCiliumLabelsUncached(list: readonly string[] | undefined): CiliumLabels {
  return list === undefined || list.length === 0 ? EMPTY_LABELS : parseCiliumLabels(list);
}

/**
 * Parses Calico `k=v` label strings into a frozen map; `undefined` for an absent or empty list
 * (Calico reports the intersection over pods, so an empty list says nothing).
 */
export function parseKeyValueLabels(list: readonly string[] | undefined): LabelMap | undefined {
  if (list === undefined || list.length === 0) return undefined;
  const map = newLabelMap();
  for (const entry of list) {
    const eq = entry.indexOf('=');
    if (eq < 0) map[entry] = '';
    else map[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return Object.freeze(map);
}

export { NO_STRINGS };
