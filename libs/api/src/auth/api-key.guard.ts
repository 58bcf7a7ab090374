import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hasRole, routePolicy, type Actor } from './access.js';
import { ApiKeyAuthenticator, bearerToken, type HttpRequest } from './api-key.authenticator.js';

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
    const { access } = routePolicy(this.reflector, context.getHandler(), context.getClass());
    if (access === 'public') return true;
    const request = context.switchToHttp().getRequest<HttpRequest & { actor?: Actor }>();
    if (!bearerToken(request.headers['authorization'])) throw new UnauthorizedException('an API key is required: send Authorization: Bearer <key>');
    const actor = await this.authenticator.authenticateRequest(request);
    if (!actor) throw new UnauthorizedException('invalid or revoked API key');
    request.actor = actor;
    if (!hasRole(actor, access)) throw new ForbiddenException(`this needs the ${access} role; the key has ${actor.role}`);
    return true;
  }
}
