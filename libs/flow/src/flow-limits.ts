/**
 * What a flow may carry, so that every flow that comes out of a normalizer can be stored in PostgreSQL and no
 * attacker-chosen value grows memory without bound. Flow data is attacker-controlled (pod names, labels and DNS
 * names come from anyone who can deploy a pod): these limits are far above anything Kubernetes or the sources
 * produce, and below what PostgreSQL refuses (text without NUL, btree entries ≤ 2,704 bytes, timestamptz and
 * bigint ranges).
 */

/** Longest name or id (flow id, namespace, pod, workload, node, cluster, DNS name, ...), in UTF-8 bytes. Longer: `string_too_long`. */
export const MAX_NAME_BYTES = 1024;

/** Labels per label set (pod labels, namespace labels) that are kept; the rest (by key order) is cut with `labels_truncated`. */
export const MAX_LABELS = 64;

/**
 * Longest label key and label value kept, in UTF-16 code units; longer ones are cut with `labels_truncated`.
 * Kubernetes allows keys of 317 and values of 63 characters, so a cut value still differs from every value a
 * valid selector can name, and selectors decide exactly as on the uncut label.
 */
export const MAX_LABEL_TEXT = 1024;

/** Earliest flow time accepted (epoch ms): 1970-01-01T00:00:00Z. Earlier: `time_out_of_range`. */
export const MIN_TIME_MS = 0;

/** Latest flow time accepted (epoch ms): 9999-12-31T23:59:59.999Z. Later: `time_out_of_range`. */
export const MAX_TIME_MS = 253_402_300_799_999;

/**
 * Largest event count one flow stands for (Hubble aggregates, Calico connections started); more is clamped with
 * `count_clamped`, so that sums over a window stay far inside bigint.
 */
export const MAX_FLOW_COUNT = 4_294_967_295;

/** Largest counter kept (Calico packets and bytes, Hubble lost events): 2^53 − 1, exact in JS and inside bigint. */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

/** All limits, for tests and documentation. */
export const FLOW_LIMITS = Object.freeze({
  maxNameBytes: MAX_NAME_BYTES, maxLabels: MAX_LABELS, maxLabelText: MAX_LABEL_TEXT, minTimeMs: MIN_TIME_MS, maxTimeMs: MAX_TIME_MS,
  maxFlowCount: MAX_FLOW_COUNT, maxCounter: MAX_COUNTER,
});
