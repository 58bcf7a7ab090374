import type { AlertEventRecord } from '@driftwatch/persistence';
import { z } from 'zod';
import { canSee, type Actor } from '../auth/access.js';
import { DRIFT_KINDS, namespaceName, SEVERITIES } from '../alerts/alert.schemas.js';

/** `subscribe` payload: what a client wants; `since` asks for the events after that id first (catch-up). */
export const subscribePayload = z
  .object({
    namespaces: z.array(namespaceName).max(100, 'must list at most 100 namespaces').optional(),
    severities: z.array(z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` })).optional(),
    kinds: z.array(z.enum(DRIFT_KINDS, { error: `must be one of ${DRIFT_KINDS.join(', ')}` })).optional(),
    since: z.string().regex(/^(0|[1-9]\d{0,18})$/, 'must be an event id').optional(),
  })
  .strict();

export type SubscribePayload = z.output<typeof subscribePayload>;

/** The filter a subscription applies, after intersecting the request with the key's scope. */
export interface EffectiveFilter {
  readonly namespaces: readonly string[] | '*';
  readonly severities: readonly string[] | '*';
  readonly kinds: readonly string[] | '*';
}

/** The request intersected with what `actor` may see: a scoped key never widens to namespaces outside its scope. */
export function effectiveFilter(actor: Actor, request: SubscribePayload): EffectiveFilter {
  const asked = request.namespaces;
  const namespaces = actor.namespaces === '*' ? (asked ?? '*') : asked === undefined ? [...actor.namespaces] : asked.filter((n) => actor.namespaces.includes(n));
  return { namespaces, severities: request.severities ?? '*', kinds: request.kinds ?? '*' };
}

/** True when `event` is visible to `actor` and passes `filter`. */
export function matches(actor: Actor, filter: EffectiveFilter, event: AlertEventRecord): boolean {
  const { srcNamespace, dstNamespace, severity, driftKind } = event.alert;
  if (!canSee(actor, srcNamespace, dstNamespace)) return false;
  if (filter.namespaces !== '*' && !filter.namespaces.some((n) => n === srcNamespace || n === dstNamespace)) return false;
  if (filter.severities !== '*' && !filter.severities.includes(severity)) return false;
  return filter.kinds === '*' || filter.kinds.includes(driftKind);
}
