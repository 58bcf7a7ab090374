/**
 * Cilium label lists (`["k8s:app=reviews", "k8s:io.kubernetes.pod.namespace=bookinfo", "reserved:world"]`)
 * split into what NetworkPolicy matching needs: the pod's own labels, its namespace's labels, the reserved
 * identity names and the CIDR. See shared/reference/hubble-api.md §7.
 */
import { FieldError, newLabelMap } from './field-reader.js';
import type { LabelMap } from './flow.model.js';
import { MAX_LABEL_TEXT, MAX_LABELS } from './flow-limits.js';

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
  /** Whether `labels` or `namespaceLabels` were cut to the limits of flow-limits.ts. */
  readonly truncated: boolean;
}

/** A fresh copy of the first `max` code units: a plain slice would keep the whole (attacker-sized) parent alive. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : Buffer.from(text.slice(0, max), 'utf8').toString('utf8');
}

/**
 * Applies the label limits to a map being built: keys and values longer than {@link MAX_LABEL_TEXT} are cut, and
 * beyond {@link MAX_LABELS} keys only the first ones in key order are kept. Returns whether anything was cut.
 */
function limitLabels(map: Record<string, string>): boolean {
  let truncated = false;
  let keys = Object.keys(map);
  if (keys.length > MAX_LABELS) {
    keys.sort();
    for (const key of keys.slice(MAX_LABELS)) delete map[key];
    keys = keys.slice(0, MAX_LABELS);
    truncated = true;
  }
  for (const key of keys) {
    const value = map[key] as string;
    if (key.length > MAX_LABEL_TEXT) {
      delete map[key];
      map[cut(key, MAX_LABEL_TEXT)] = cut(value, MAX_LABEL_TEXT);
      truncated = true;
    } else if (value.length > MAX_LABEL_TEXT) {
      map[key] = cut(value, MAX_LABEL_TEXT);
      truncated = true;
    }
  }
  return truncated;
}

function checkEntry(entry: string, i: number): void {
  if (entry.indexOf('\u0000') >= 0) throw new FieldError('nul_in_string', `labels[${i}]`, `labels[${i}] holds a NUL byte`);
}

function cidrText(value: string): string {
  return value.includes('-') ? value.split('-').join(':') : value;
}

/**
 * Parses one Cilium label list. Malformed entries (no source prefix) are kept as pod labels under their key.
 * Label sets over the limits are cut (`truncated`). Throws a FieldError (`nul_in_string`) for an entry with a
 * NUL byte; the normalizers turn it into a malformed-message error.
 */
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
    checkEntry(entry, i);
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
  let truncated = false;
  if (list.length > MAX_LABELS || longest(list) > MAX_LABEL_TEXT) {
    if (labels !== undefined) truncated = limitLabels(labels);
    if (namespaceLabels !== undefined) truncated = limitLabels(namespaceLabels) || truncated;
  }
  return Object.freeze({
    labels: labels && Object.freeze(labels),
    namespaceLabels: namespaceLabels && Object.freeze(namespaceLabels),
    namespace,
    cluster,
    reserved: reserved ? Object.freeze(reserved) : NO_STRINGS,
    cidr,
    fqdn,
    truncated,
  });
}

function longest(list: readonly string[]): number {
  let max = 0;
  for (let i = 0; i < list.length; i++) if ((list[i] as string).length > max) max = (list[i] as string).length;
  return max;
}

const EMPTY_LABELS: CiliumLabels = parseCiliumLabels([]);

interface CacheEntry {
  readonly list: readonly string[];
  readonly parsed: CiliumLabels;
}

/**
 * Remembers parsed label lists per Cilium identity. An identity stands for one label set, so most flows hit
 * the cache; each hit is still checked against the stored list, so a reused identity number (another
 * cluster, a recycled identity) is parsed afresh rather than trusted. Bounded in entries and in the characters
 * of the lists it keeps (a list longer than {@link MAX_CACHED_LIST_CHARS} is parsed every time, never kept):
 * cleared when either bound is reached.
 */
export class CiliumLabelCache {
  private readonly entries = new Map<number, CacheEntry>();
  private chars = 0;

  constructor(
    private readonly maxEntries = 16_384,
    private readonly maxChars = 4_000_000,
  ) {}

  /** Parsed labels for `list`, reused when `identity` was seen with the same list. */
  get(identity: number | undefined, list: readonly string[] | undefined): CiliumLabels {
    if (list === undefined || list.length === 0) return EMPTY_LABELS;
    if (identity === undefined || identity === 0) return parseCiliumLabels(list);
    const hit = this.entries.get(identity);
    if (hit !== undefined && sameList(hit.list, list)) return hit.parsed;
    const parsed = parseCiliumLabels(list);
    const chars = listChars(list);
    if (chars > MAX_CACHED_LIST_CHARS) return parsed;
    if (this.entries.size >= this.maxEntries || this.chars + chars > this.maxChars) {
      this.entries.clear();
      this.chars = 0;
    }
    if (hit !== undefined) this.chars -= listChars(hit.list);
    this.entries.set(identity, { list: list.slice(), parsed });
    this.chars += chars;
    return parsed;
  }

  /** Characters of the label lists remembered. */
  get cachedChars(): number {
    return this.chars;
  }

  /** Number of identities remembered. */
  get size(): number {
    return this.entries.size;
  }
}

/** Lists longer than this (in characters) are not cached: no real identity has labels this long. */
const MAX_CACHED_LIST_CHARS = 16_384;

function listChars(list: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) n += (list[i] as string).length;
  return n;
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
 * Parses Calico `k=v` label strings into a frozen map, cut to the label limits (`truncated`); `labels` is
 * `undefined` for an absent or empty list (Calico reports the intersection over pods, so an empty list says
 * nothing). Throws a FieldError (`nul_in_string`) for an entry with a NUL byte.
 */
export function parseKeyValueLabels(list: readonly string[] | undefined): { labels: LabelMap | undefined; truncated: boolean } {
  if (list === undefined || list.length === 0) return NO_KEY_VALUE_LABELS;
  const map = newLabelMap();
  for (let i = 0; i < list.length; i++) {
    const entry = list[i] as string;
    checkEntry(entry, i);
    const eq = entry.indexOf('=');
    if (eq < 0) map[entry] = '';
    else map[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const truncated = list.length > MAX_LABELS || longest(list) > MAX_LABEL_TEXT ? limitLabels(map) : false;
  return { labels: Object.freeze(map), truncated };
}

const NO_KEY_VALUE_LABELS = Object.freeze({ labels: undefined, truncated: false });

export { NO_STRINGS };
