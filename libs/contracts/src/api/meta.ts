/** The API describing itself: the OpenAPI document and the docs page that renders it. Public. */
import { z } from 'zod';
import type { RouteContract } from './route-contract.js';

/** The files the docs page loads, all served by the app itself (no CDN). */
export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js'] as const;
export type DocsAsset = (typeof DOCS_ASSETS)[number];

export const metaRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This OpenAPI document',
    description: 'OpenAPI 3.1, generated from the same contracts the routes validate with.',
    tag: 'meta',
    access: 'public',
    responses: { 200: { description: 'the OpenAPI 3.1 document', schema: z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.looseObject({}) }) } },
  },
  {
    method: 'get',
    path: '/api/v1/docs',
    summary: 'API docs page',
    description: 'Swagger UI over this document; every asset is served by Driftwatch itself.',
    tag: 'meta',
    access: 'public',
    responses: { 200: { description: 'an HTML page', contentTypes: ['text/html'] } },
  },
  {
    method: 'get',
    path: '/api/v1/docs/assets/{file}',
    summary: 'An asset of the docs page',
    tag: 'meta',
    access: 'public',
    params: z.object({ file: z.enum(DOCS_ASSETS) }),
    responses: { 200: { description: 'the file', contentTypes: ['text/css', 'text/javascript'] } },
  },
];
