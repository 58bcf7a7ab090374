import { createHash } from 'node:crypto';
import { judgedAsPod, type FlowEndpoint, type LabelMap } from '@driftwatch/flow';
import { EXTERNAL_IDENTITY, IDENTITY_REFRESH_MS, type EndpointIdentityRow } from '@driftwatch/persistence';

/** An interned endpoint identity: its id, shared by every flow side with the same namespace and label sets. */
export interface EndpointIdentity {
  readonly id: string;
}

/** An identity as interned here: with what it takes to queue it again, and when that is due. */
interface Interned extends EndpointIdentity {
  /** The canonical text (the content cache's key), from which its row is made again. */
  readonly text: string;
  /** The flow time (epoch ms) from which a flow side that has it queues it again. */
  due: number;
}

/** Bounds of the content cache of {@link EndpointIdentities}. */
export interface EndpointIdentityLimits {
  /** Identities remembered by content (default 50,000). */
  readonly maxEntries: number;
  /** Approximate bytes of their canonical texts (default 32 MiB). */
  readonly maxBytes: number;
}

const DEFAULT_LIMITS: EndpointIdentityLimits = { maxEntries: 50_000, maxBytes: 32 * 1024 * 1024 };
/** Namespaces remembered per pair of label objects (only the "no labels reported" pair ever has many). */
const NAMESPACES_PER_PAIR = 4096;
const EXTERNAL: Interned = Object.freeze({ id: EXTERNAL_IDENTITY, text: '', due: Infinity });
/** The identities of one label object: the last one found, then by namespace label object and namespace. */
interface ByLabels {
  namespaceLabels: object | undefined;
  namespace: string | undefined;
  identity: Interned;
  others: WeakMap<object, Map<string, Interned>> | undefined;
}

/** Stands for "not reported" as a WeakMap key. */
const NONE: object = Object.freeze({});

/**
 * Gives each flow side the identity the engine judged it by, beyond namespace and workload, for the records to
 * keep (a what-if judges them again with it): a side judged as an external peer is {@link EXTERNAL_IDENTITY};
 * a pod is its namespace with the label sets its flow carried (none carried stays null: the inventory was used).
 *
 * The id is the first 8 bytes of the sha-256 of the canonical text (sorted labels), so equal identities get
 * the same id in every process and a crafted label set cannot take another identity's id. Lookups are by the
 * label objects first (normalizers share one frozen object per label set: one WeakMap hit per side), then by
 * content. Identities new to this object are queued ({@link takeNew}) for the writer to insert if absent, and
 * queued again by the first flow side that has one when its flow time is {@link IDENTITY_REFRESH_MS} (an hour)
 * past the time it was last queued, whichever path finds it: the writer then moves the stored `last_seen`
 * forward, so that it stays within two hours of the latest record pointing at the identity (retention prunes by
 * it). Flow time, not the clock: records are kept by their flow time, which may be far from the clock (replayed
 * history, a source whose clock is ahead). Memory is bounded: the content cache starts over when full (an
 * identity seen again is then queued again, and the writer leaves the stored row as it is unless its `last_seen`
 * is an hour behind); an identity found by label objects keeps its canonical text while those objects live.
 */
export class EndpointIdentities {
  private readonly byObjects = new WeakMap<object, ByLabels>();
  private readonly byContent = new Map<string, Interned>();
  private contentBytes = 0;
  private fresh: EndpointIdentityRow[] = [];
  private freshBytes = 0;
  private readonly limits: EndpointIdentityLimits;

  constructor(limits: Partial<EndpointIdentityLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The identity of a flow side of a flow at `time` (epoch ms). */
  of(side: FlowEndpoint, time: number): EndpointIdentity {
    if (!judgedAsPod(side)) return EXTERNAL;
    const namespace = side.namespace as string;
    const labels: object = side.labels ?? NONE;
    const namespaceLabels: object = side.namespaceLabels ?? NONE;
    let entry = this.byObjects.get(labels);
    if (entry === undefined) this.byObjects.set(labels, (entry = { namespaceLabels: undefined, namespace: undefined, identity: EXTERNAL, others: undefined }));
    // A label set nearly always comes with one namespace: its last identity is a pointer comparison away.
    if (entry.namespaceLabels === namespaceLabels && entry.namespace === namespace) {
      const identity = entry.identity;
      if (time >= identity.due) this.requeue(identity, time);
      return identity;
    }
    entry.others ??= new WeakMap();
    let byNamespace = entry.others.get(namespaceLabels);
    if (byNamespace === undefined) entry.others.set(namespaceLabels, (byNamespace = new Map()));
    let identity = byNamespace.get(namespace);
    if (identity === undefined) {
      identity = this.intern(namespace, side.labels ?? null, side.namespaceLabels ?? null, time);
      if (byNamespace.size >= NAMESPACES_PER_PAIR) byNamespace.clear();
      byNamespace.set(namespace, identity);
    } else if (time >= identity.due) {
      this.requeue(identity, time);
    }
    entry.namespaceLabels = namespaceLabels;
    entry.namespace = namespace;
    entry.identity = identity;
    return identity;
  }

  /** Identities new or due again since the last call, for the writer, and the bytes they hold (approximately). */
  takeNew(): { readonly rows: EndpointIdentityRow[]; readonly bytes: number } {
    const taken = { rows: this.fresh, bytes: this.freshBytes };
    this.fresh = [];
    this.freshBytes = 0;
    return taken;
  }

  /** Bytes of the identities waiting for {@link takeNew}. */
  get pendingBytes(): number {
    return this.freshBytes;
  }

  private intern(namespace: string, labels: LabelMap | null, namespaceLabels: LabelMap | null, time: number): Interned {
    const text = JSON.stringify([namespace, sortedEntries(labels), sortedEntries(namespaceLabels)]);
    let identity = this.byContent.get(text);
    if (identity !== undefined) {
      if (time >= identity.due) this.requeue(identity, time);
      return identity;
    }
    identity = { id: identityId(text), text, due: -Infinity };
    const bytes = 2 * text.length + 64;
    if (this.byContent.size >= this.limits.maxEntries || this.contentBytes + bytes > this.limits.maxBytes) {
      this.byContent.clear();
      this.contentBytes = 0;
    }
    this.byContent.set(text, identity);
    this.contentBytes += bytes;
    this.queue(identity, time, namespace, labels, namespaceLabels);
    return identity;
  }

  /** Queues an identity again (its flows are an hour past the time it was last queued), its row made from its text. */
  private requeue(identity: Interned, time: number): void {
    const [namespace, labels, namespaceLabels] = JSON.parse(identity.text) as [string, [string, string][] | null, [string, string][] | null];
    this.queue(identity, time, namespace, labels && Object.fromEntries(labels), namespaceLabels && Object.fromEntries(namespaceLabels));
  }

  private queue(identity: Interned, time: number, namespace: string, labels: LabelMap | null, namespaceLabels: LabelMap | null): void {
    identity.due = time + IDENTITY_REFRESH_MS;
    this.fresh.push({ id: identity.id, namespace, labels, namespaceLabels, lastSeen: new Date(time) });
    this.freshBytes += 2 * identity.text.length + 64;
  }
}

function sortedEntries(labels: LabelMap | null): [string, string][] | null {
  if (labels === null) return null;
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A signed int8 in decimal: the first 8 bytes of the sha-256 of `text`; never 0 (that is the external peer). */
export function identityId(text: string): string {
  const id = createHash('sha256').update(text).digest().readBigInt64BE(0);
  return id === 0n ? '1' : id.toString();
}
