import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import { ForbiddenException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hasRole, ROLES, type Actor, type Role } from '../../src/index.js';
import { REQUIRED_ROLE } from '../../src/auth/access.js';

/** The header the test guard reads: `<prefix>:<role>` (e.g. `op_test:operator`). */
export const TEST_ACTOR_HEADER = 'x-test-actor';

/**
 * TEST ONLY, not product code: a stand-in for the API key guard (written on the alerts branch), so the webhook
 * controllers run. It sets `request.actor` from {@link TEST_ACTOR_HEADER} and enforces `@RequireRole`; at merge,
 * the real guard replaces it and these tests move to real keys.
 */
class TestActorGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; actor?: Actor }>();
    const [prefix = 'anonymous', role = 'viewer'] = (request.headers[TEST_ACTOR_HEADER] ?? '').split(':');
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`test actor role ${role}?`);
    request.actor = { prefix, role: role as Role, namespaces: '*' };
    const needed = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ?? 'viewer';
    if (!hasRole(request.actor, needed)) throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: `needs the ${needed} role` });
    return true;
  }
}

export function installTestActorGuard(app: INestApplication): void {
  app.useGlobalGuards(new TestActorGuard(app.get(Reflector)));
}
