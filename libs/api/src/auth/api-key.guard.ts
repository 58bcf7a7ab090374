import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hasRole, PUBLIC_ROUTE, REQUIRED_ROLE, type Actor, type Role } from './access.js';
import { ApiKeyAuthenticator, bearerToken } from './api-key.authenticator.js';

/**
 * Bearer auth on every HTTP route except those marked `@Public()`: 401 without a valid key, 403 when the key's
 * role is below the route's `@RequireRole` (default viewer). Sets `request.actor`. The socket.io gateway
 * authenticates its own handshakes.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; actor?: Actor }>();
    const token = bearerToken(request.headers['authorization']);
    if (!token) throw new UnauthorizedException('an API key is required: send Authorization: Bearer <key>');
    const actor = await this.authenticator.authenticate(token);
    if (!actor) throw new UnauthorizedException('invalid or revoked API key');
    request.actor = actor;
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets) ?? 'viewer';
    if (!hasRole(actor, role)) throw new ForbiddenException(`this needs the ${role} role; the key has ${actor.role}`);
    return true;
  }
}
