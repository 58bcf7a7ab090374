/**
 * socket.io on the API port (path `/socket.io`): what a client sends (`subscribe`) and what it receives (alert
 * events, `flows.stats`). Not REST, so not in API_ROUTES; the OpenAPI document lists these schemas as components.
 */
import { z } from 'zod';
import { ALERT_EVENT_TYPES, DRIFT_KINDS, SEVERITIES } from '../vocabulary.js';
import { alertSummary } from './alerts.js';
import { decimalId, fieldIssue, isoTime, namespaceName } from './common.js';

/** `subscribe` payload: what a client wants; `since` asks for the events after that id first (catch-up). */
export const subscribePayload = z
  .object({
    namespaces: z.array(namespaceName).max(100, 'must list at most 100 namespaces').optional(),
    severities: z.array(z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` })).optional(),
    kinds: z.array(z.enum(DRIFT_KINDS, { error: `must be one of ${DRIFT_KINDS.join(', ')}` })).optional(),
    since: z.string().regex(/^(0|[1-9]\d{0,18})$/, 'must be an event id').optional(),
  })
  .strict()
  .meta({ id: 'SocketSubscribe', description: 'socket.io `subscribe`: namespaces, severities and drift kinds wanted; `since` replays the events after that id first.' });
export type SubscribePayload = z.output<typeof subscribePayload>;

const everything = z.literal('*');

/** The filter a subscription applies, after intersecting the request with the key's scope. */
export const effectiveFilterSchema = z.strictObject({
  namespaces: z.union([z.array(z.string()), everything]),
  severities: z.union([z.array(z.enum(SEVERITIES)), everything]),
  kinds: z.union([z.array(z.enum(DRIFT_KINDS)), everything]),
});
export type EffectiveFilter = z.output<typeof effectiveFilterSchema>;

/** The acknowledgement of `subscribe`: the effective filter, or why the subscription was refused. */
export const subscribeAck = z
  .union([
    z.strictObject({ ok: z.literal(true), filter: effectiveFilterSchema }),
    z.strictObject({ ok: z.literal(false), error: z.string(), issues: z.array(fieldIssue).optional() }),
  ])
  .meta({ id: 'SocketSubscribeAck', description: 'The acknowledgement of `subscribe`.' });
export type SubscribeAck = z.output<typeof subscribeAck>;

/** Every alert event a subscribed client receives, under the event's type as the socket.io event name. */
export const alertEventMessage = z
  .strictObject({ eventId: decimalId, type: z.enum(ALERT_EVENT_TYPES), createdAt: isoTime, alert: alertSummary })
  .meta({ id: 'SocketAlertEvent', description: 'socket.io `alert.opened`, `alert.updated`, ...: the event and the alert after it.' });
export type AlertEventMessage = z.output<typeof alertEventMessage>;

const count = z.number().int().min(0);

/** The `flows.stats` event: flows classified in the client's namespaces since the previous one, by label. */
export const flowsStatsEvent = z
  .strictObject({
    at: isoTime.meta({ description: 'when this tick was taken' }),
    intervalMs: z.number().int().min(0).meta({ description: 'milliseconds since the previous tick' }),
    namespaces: z
      .array(z.strictObject({ namespace: z.string(), allowed: count, denied: count, unexpected: count }))
      .meta({ description: 'one entry per namespace of the subscriptions that had flows in the interval, sorted by name' }),
  })
  .meta({ id: 'SocketFlowsStats', description: 'socket.io `flows.stats`, about every second: flows by label per namespace.' });
export type FlowStatsEvent = z.output<typeof flowsStatsEvent>;
