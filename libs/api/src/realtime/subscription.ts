import type { EffectiveFilter, SubscribePayload } from '@driftwatch/contracts';
import type { AlertEventRecord } from '@driftwatch/persistence';
import { canSee, type Actor } from '../auth/access.js';

/** The filter a subscription applies, after intersecting the request with the key's scope. */
export type { EffectiveFilter } from '@driftwatch/contracts';

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
