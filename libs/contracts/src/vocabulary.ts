/**
 * The closed vocabularies every room shares (ARCHITECTURE.md §1): each is an `as const` list, the type of its
 * members, and a zod enum for validating input at an edge. One spelling per concept: add a member here, never a
 * string literal elsewhere.
 */
import { z } from 'zod';

/** The comparison of what the network did with what the declared policies say. */
export const FLOW_LABELS = ['allowed', 'denied', 'unexpected'] as const;
export type FlowLabel = (typeof FLOW_LABELS)[number];
export const flowLabelSchema = z.enum(FLOW_LABELS);

/** For an unexpected flow: a hole (`unenforced-deny`) or an outage risk / out-of-band policy (`unexpected-drop`). */
export const DRIFT_KINDS = ['unenforced-deny', 'unexpected-drop'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];
export const driftKindSchema = z.enum(DRIFT_KINDS);

/**
 * What the network did with a flow (`flow_records.observed`): forwarded, dropped, passed in audit mode, handed to
 * the L7 proxy, seen before any verdict (traced, translated), a datapath error, or no verdict given.
 */
export const OBSERVED_VERDICTS = ['forwarded', 'dropped', 'audit', 'redirected', 'traced', 'translated', 'error', 'unknown'] as const;
export type ObservedVerdict = (typeof OBSERVED_VERDICTS)[number];
export const observedVerdictSchema = z.enum(OBSERVED_VERDICTS);

/** Severity of an alert. */
export const SEVERITIES = ['medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severitySchema = z.enum(SEVERITIES);

/** What happened to an alert (`alert_events.type`, socket.io event names, webhook `type`). */
export const ALERT_EVENT_TYPES = [
  'alert.opened', 'alert.updated', 'alert.acknowledged', 'alert.resolved', 'alert.reopened', 'alert.suppressed',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];
export const alertEventTypeSchema = z.enum(ALERT_EVENT_TYPES);

/**
 * What a source reported or what happened to it (`collector_events.kind`): a connection change, events the
 * source lost, a Relay node status, malformed messages (counted per code and batch), flows dropped as already seen.
 */
export const COLLECTOR_EVENT_KINDS = ['connected', 'disconnected', 'lost_events', 'node_status', 'malformed', 'duplicates'] as const;
export type CollectorEventKind = (typeof COLLECTOR_EVENT_KINDS)[number];
export const collectorEventKindSchema = z.enum(COLLECTOR_EVENT_KINDS);

/** Where an alert stands: open, acknowledged (someone looks at it), resolved, or suppressed until a time. */
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const alertStatusSchema = z.enum(ALERT_STATUSES);
