import type { RouteContract } from './route-contract.js';

/**
 * The live page and its assets: served outside `/api/v1` (the global prefix excludes exactly these paths) and
 * public, since the page holds no data: it asks for an API key and fetches everything with it, same origin.
 */
export const pageRoutes: readonly RouteContract[] = [
  {
    method: 'get', path: '/', tag: 'page', access: 'public',
    summary: 'The live page: alerts, flow counters, connections and collectors',
    description: 'HTML without inline scripts or styles; it prompts for an API key (kept in sessionStorage) and reads the API and socket.io with it.',
    responses: { 200: { description: 'the page', contentTypes: ['text/html'] } },
  },
  {
    method: 'get', path: '/ui/app.js', tag: 'page', access: 'public',
    summary: "The page's script (one ES module)",
    responses: { 200: { description: 'JavaScript', contentTypes: ['text/javascript'] } },
  },
  {
    method: 'get', path: '/ui/app.css', tag: 'page', access: 'public',
    summary: "The page's style sheet",
    responses: { 200: { description: 'CSS', contentTypes: ['text/css'] } },
  },
  {
    method: 'get', path: '/ui/socket.io.esm.min.js', tag: 'page', access: 'public',
    summary: 'The socket.io client (ES module) of the socket.io version the server runs',
    responses: { 200: { description: 'JavaScript', contentTypes: ['text/javascript'] } },
  },
];
