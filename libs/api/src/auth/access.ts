import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/** Roles of an API key, each including the one before: a viewer reads; an operator also acts on alerts and webhooks; an admin also manages keys. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is calling: the key's prefix (what the audit log records), its role, and the namespaces it may see
 * (`'*'` for all). Set on the request by the API key guard.
 */
export interface Actor {
  readonly prefix: string;
  readonly role: Role;
  readonly namespaces: readonly string[] | '*';
}

export const REQUIRED_ROLE = 'driftwatch:required-role';
export const PUBLIC_ROUTE = 'driftwatch:public';
export const NO_RATE_LIMIT = 'driftwatch:no-rate-limit';

/** The least role a route needs (default for an authenticated route: `viewer`). */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** A route that needs no key (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** A route the per-key rate limit leaves alone (health, metrics: probes and scrapers call them on a schedule). */
export const NoRateLimit = () => SetMetadata(NO_RATE_LIMIT, true);

/** What a route's decorators say about who may call it: `public` or the least role, and whether it is rate-limited. */
export interface RoutePolicy {
  readonly access: 'public' | Role;
  readonly rateLimited: boolean;
}

/**
 * The policy of a handler (method decorators override class ones), as the guards apply it. Tests read it too, to
 * hold the route contracts against what the guards really do.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function routePolicy(reflector: Reflector, handler: Function, controller: Function): RoutePolicy {
  const targets = [handler, controller];
  const isPublic = reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true;
  const role = reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets) ?? 'viewer';
  return { access: isPublic ? 'public' : role, rateLimited: reflector.getAllAndOverride<boolean | undefined>(NO_RATE_LIMIT, targets) !== true };
}

/** The request's Actor, as the guard set it (`request.actor`). */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('no actor on the request: is the API key guard installed?');
  return request.actor;
});

/** True when `actor` may see traffic or an alert between these namespaces (either side in scope; none: only `*`). */
export function canSee(actor: Actor, srcNamespace: string | null | undefined, dstNamespace: string | null | undefined): boolean {
  if (actor.namespaces === '*') return true;
  return [srcNamespace, dstNamespace].some((ns) => ns !== null && ns !== undefined && actor.namespaces.includes(ns));
}

/** True when `actor`'s role is at least `role`. */
export function hasRole(actor: Actor, role: Role): boolean {
  return ROLES.indexOf(actor.role) >= ROLES.indexOf(role);
}
