import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { routePolicy, type RoutePolicy } from '@driftwatch/api';
import { API_ROUTES, type RouteContract } from '@driftwatch/contracts';

/** `GET /api/v1/alerts/{id}`: a route by method and OpenAPI path. */
export type RouteKey = string;

/** `:id` → `{id}`, upper-case method. */
export function routeKey(method: string, expressPath: string): RouteKey {
  return `${method.toUpperCase()} ${expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

/** The key of a contract. */
export const contractKey = (route: RouteContract): RouteKey => `${route.method.toUpperCase()} ${route.path}`;

interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack?: { name: string }[] };
}

/**
 * What the app's HTTP server really routes: every route layer of the Express router (Nest registers each handler
 * there; middleware, the not-found and the error handlers have no route), as method and OpenAPI path.
 */
export function servedRoutes(app: INestApplication): RouteKey[] {
  const instance = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  const keys: RouteKey[] = [];
  for (const layer of instance.router.stack) {
    if (!layer.route) continue;
    // Nest mounts its middleware chain on each path excluded from the global prefix (the live page's) as a route
    // of every method whose handlers are all anonymous; the handlers Nest routes to are named after the controller.
    if (layer.route.stack?.every((s) => s.name === '<anonymous>')) continue;
    for (const path of [layer.route.path].flat()) {
      for (const [method, on] of Object.entries(layer.route.methods)) if (on) keys.push(routeKey(method === '_all' ? 'ALL' : method, path));
    }
  }
  return keys;
}

/**
 * Every handler of every controller Nest holds, with its route (from Nest's metadata: under `prefix`, or without
 * it when only that one is served, as for a route excluded from the prefix) and what the guards read from its
 * decorators (public or the least role; rate-limited or not).
 */
export function declaredHandlers(app: INestApplication, prefix: string): { key: RouteKey; policy: RoutePolicy; handler: string }[] {
  const served = new Set(servedRoutes(app));
  const reflector = app.get(Reflector);
  const found: { key: RouteKey; policy: RoutePolicy; handler: string }[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const base = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined ?? '/'].flat();
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        if (name === 'constructor') continue;
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (method === undefined || paths === undefined) continue;
        for (const b of base) {
          for (const p of [paths].flat()) {
            const path = (parts: string[]) => `/${parts.join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
            const prefixed = routeKey(RequestMethod[method], path([prefix, b, p]));
            const bare = routeKey(RequestMethod[method], path([b, p]));
            const key = !served.has(prefixed) && served.has(bare) ? bare : prefixed;
            found.push({ key, policy: routePolicy(reflector, handler, controller), handler: `${controller.name}.${name}` });
          }
        }
      }
    }
  }
  return found;
}

/** The contracts by key. */
export function contractsByKey(routes: readonly RouteContract[] = API_ROUTES): Map<RouteKey, RouteContract> {
  return new Map(routes.map((r) => [contractKey(r), r]));
}
