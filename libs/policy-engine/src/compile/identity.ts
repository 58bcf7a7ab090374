import { parseIp } from '../cidr.js';
import type { Endpoint, HalfDecision, PolicyRef } from '../decision.js';
import type { Labels, NamedPort } from '../model.js';
import { NAMESPACE_NAME_LABEL } from '../load/decode-inventory.js';
import { blockContains, type CompiledBlock, type CompiledPolicy } from './compiled-policy.js';

export const IP_NONE = 0;
export const IP_VALID = 1;
export const IP_INVALID = 2;

/** The set of ipBlocks an address falls in. Endpoints whose addresses fall in the same blocks share decisions. */
export interface IpClass {
  readonly id: number;
  readonly state: number;
  /** 1 at the index of every ipBlock of the revision that contains the address. */
  readonly blocks: Uint8Array;
}

/** A namespace with one label set; selector results against it are memoized. */
export class NamespaceIdentity {
  memo: Int8Array | undefined;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly labels: ReadonlyMap<string, string>,
    /** True when the labels are the assumed `kubernetes.io/metadata.name=<name>` only. */
    readonly assumed: boolean,
  ) {}
}

/**
 * A set of policies that select pods for one direction, shared by every identity selected by exactly these
 * policies, with the half decisions made for it (keyed by the RuleMatch, or by the set itself for deny).
 */
export interface PolicySet {
  readonly refs: readonly PolicyRef[];
  readonly halves: Map<object, HalfDecision>;
}

/** The policies that select one identity for one direction. */
export interface PolicySelection {
  readonly policies: readonly CompiledPolicy[];
  readonly set: PolicySet;
  /** Whether any policy of the namespace has this direction, so that the pod's labels mattered. */
  readonly consultsLabels: boolean;
}

/**
 * Everything a decision may depend on about one endpoint: namespace and its labels, pod labels, which ipBlocks
 * its address falls in, and its named ports. Interned to a small integer per revision; decisions are cached by it.
 */
export class Identity {
  memo: Int8Array | undefined;
  ingress: PolicySelection | undefined;
  egress: PolicySelection | undefined;
  constructor(
    readonly id: number,
    readonly external: boolean,
    readonly namespace: string,
    readonly ns: NamespaceIdentity | undefined,
    readonly labels: ReadonlyMap<string, string>,
    readonly labelsKnown: boolean,
    readonly ipClass: IpClass,
    readonly namedPorts: readonly NamedPort[] | undefined,
  ) {}
}

const IP_CLASS_CACHE_LIMIT = 100_000;

/** Bounds of one generation of an {@link IdentityTable}: see {@link IdentityTable.full}. */
export interface IdentityLimits {
  /** Identities (endpoint identities plus namespace identities) per generation. */
  readonly maxIdentities: number;
  /** Approximate bytes held by the identities' keys, label maps and memos per generation. */
  readonly maxBytes: number;
}

export const DEFAULT_IDENTITY_LIMITS: IdentityLimits = { maxIdentities: 200_000, maxBytes: 64 * 1024 * 1024 };

/** What one more identity costs beyond its key and labels: the object, its Map, memos of `memoBytes`. */
const IDENTITY_OVERHEAD = 256;
const EMPTY = new Uint8Array(0);

function canonicalLabels(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Turns endpoint objects into identities. The work (sorting labels, classifying the address) happens once per
 * endpoint object, found again through a WeakMap whose values are small integers; label objects shared between
 * endpoints are canonicalized once.
 *
 * Endpoints come from flows, which an attacker can shape (unique labels or namespaces on every flow), so a table
 * is bounded: once {@link full} (entries or approximate bytes over its {@link IdentityLimits}), its owner drops it
 * and starts a new generation (a new table, evaluator and decision cache together, since decisions are cached by
 * identity id). Warm traffic lives in one generation and never notices.
 */
export class IdentityTable {
  /** Identities by id. */
  readonly all: Identity[] = [];
  /** True once this generation holds as many identities or bytes as its limits allow. */
  full = false;
  private bytes = 0;
  private readonly byEndpoint = new WeakMap<Endpoint, number>();
  private readonly labelKeys = new WeakMap<Labels, string>();
  private readonly byKey = new Map<string, Identity>();
  private readonly namespaces = new Map<string, NamespaceIdentity>();
  private readonly ipClassesByIp = new Map<string, IpClass>();
  private readonly ipClassesByKey = new Map<string, IpClass>();
  private readonly none: IpClass;
  private readonly invalid: IpClass;
  private readonly outsideEveryBlock: IpClass;

  constructor(
    private readonly blocks: readonly CompiledBlock[],
    private readonly knownNamespaceLabels: (namespace: string) => Labels | undefined,
    private readonly usesNamedPorts: boolean,
    private readonly limits: IdentityLimits = DEFAULT_IDENTITY_LIMITS,
    /** Bytes of the selector memos an identity may get (the revision's selector count). */
    private readonly memoBytes = 0,
  ) {
    this.none = { id: 0, state: IP_NONE, blocks: new Uint8Array(blocks.length) };
    this.invalid = { id: 1, state: IP_INVALID, blocks: new Uint8Array(blocks.length) };
    this.outsideEveryBlock = this.internIpClass(new Uint8Array(blocks.length));
  }

  /** The identity id of an endpoint: a WeakMap hit after the first time the object is seen. */
  resolve(endpoint: Endpoint): number {
    let id = this.byEndpoint.get(endpoint);
    if (id === undefined) {
      id = (endpoint.kind === 'external' ? this.external(endpoint.ip) : this.pod(endpoint)).id;
      this.byEndpoint.set(endpoint, id);
    }
    return id;
  }

  private external(ip: string): Identity {
    const ipClass = this.ipClass(ip);
    return this.intern(`e\u0000${ipClass.id}`, (id) => new Identity(id, true, '', undefined, new Map(), true, ipClass, undefined));
  }

  private pod(endpoint: Extract<Endpoint, { kind: 'pod' }>): Identity {
    const ns = this.namespace(endpoint.namespace, endpoint.namespaceLabels);
    const labels = endpoint.labels;
    const labelsKey = labels === undefined ? '?' : this.labelKey(labels);
    const ipClass = endpoint.ip === undefined ? this.none : this.ipClass(endpoint.ip);
    const namedPorts = this.usesNamedPorts ? endpoint.namedPorts : undefined;
    const portsKey = !this.usesNamedPorts ? '' : namedPorts === undefined ? '?' : canonicalPorts(namedPorts);
    const key = `p\u0000${ns.id}\u0000${labelsKey}\u0000${ipClass.id}\u0000${portsKey}`;
    return this.intern(
      key,
      (id) =>
        new Identity(id, false, endpoint.namespace, ns, new Map(Object.entries(labels ?? {})), labels !== undefined, ipClass, namedPorts),
    );
  }

  private intern(key: string, create: (id: number) => Identity): Identity {
    let identity = this.byKey.get(key);
    if (identity === undefined) {
      identity = create(this.all.length);
      this.byKey.set(key, identity);
      this.all.push(identity);
      this.grew(key.length * 2 + labelBytes(identity.labels));
    }
    return identity;
  }

  /** Approximate bytes held by this generation (exposed for tests). */
  get heldBytes(): number {
    return this.bytes;
  }

  private grew(bytes: number): void {
    this.bytes += bytes + IDENTITY_OVERHEAD + 2 * this.memoBytes;
    if (this.all.length + this.namespaces.size >= this.limits.maxIdentities || this.bytes >= this.limits.maxBytes) this.full = true;
  }

  private labelKey(labels: Labels): string {
    let key = this.labelKeys.get(labels);
    if (key === undefined) {
      key = canonicalLabels(labels);
      this.labelKeys.set(labels, key);
    }
    return key;
  }

  /** Labels from the endpoint, else from the revision's Namespace objects, else assumed (and flagged). */
  private namespace(name: string, given: Labels | undefined): NamespaceIdentity {
    const known = given ?? this.knownNamespaceLabels(name);
    const assumed = known === undefined;
    const labels: Labels = known?.[NAMESPACE_NAME_LABEL] !== undefined ? known : { ...known, [NAMESPACE_NAME_LABEL]: name };
    const key = `${name}\u0000${assumed ? '?' : this.labelKey(labels)}`;
    let ns = this.namespaces.get(key);
    if (ns === undefined) {
      ns = new NamespaceIdentity(this.namespaces.size, name, new Map(Object.entries(labels)), assumed);
      this.namespaces.set(key, ns);
      this.grew(key.length * 2 + labelBytes(ns.labels));
    }
    return ns;
  }

  private ipClass(ip: string): IpClass {
    if (this.blocks.length === 0) return this.outsideEveryBlock;
    let ipClass = this.ipClassesByIp.get(ip);
    if (ipClass === undefined) {
      const address = parseIp(ip);
      if (address === undefined) {
        ipClass = this.invalid;
      } else {
        const matches = new Uint8Array(this.blocks.length);
        this.blocks.forEach((block, i) => {
          if (blockContains(block, address)) matches[i] = 1;
        });
        ipClass = this.internIpClass(matches);
      }
      if (this.ipClassesByIp.size >= IP_CLASS_CACHE_LIMIT) this.ipClassesByIp.clear();
      if (ip.length <= 64) this.ipClassesByIp.set(ip, ipClass); // longer texts are no address: not worth keeping
    }
    return ipClass;
  }

  private internIpClass(matches: Uint8Array): IpClass {
    const key = matches.length === 0 ? '' : matches.join('');
    let ipClass = this.ipClassesByKey.get(key);
    if (ipClass === undefined) {
      ipClass = { id: this.ipClassesByKey.size + 2, state: IP_VALID, blocks: matches.length === 0 ? EMPTY : matches };
      this.ipClassesByKey.set(key, ipClass);
    }
    return ipClass;
  }
}

function labelBytes(labels: ReadonlyMap<string, string>): number {
  let n = 0;
  for (const [key, value] of labels) n += 2 * (key.length + value.length) + 32;
  return n;
}

function canonicalPorts(ports: readonly NamedPort[]): string {
  return JSON.stringify(ports.map((p) => [p.name, p.protocol, p.port]).sort((a, b) => (String(a) < String(b) ? -1 : 1)));
}
