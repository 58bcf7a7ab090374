import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DocsAsset } from '@driftwatch/contracts';

/** Where the docs page's assets are served, under the app's own origin. */
export const DOCS_ASSET_PATH = '/api/v1/docs/assets';

/** The docs page: Swagger UI from the app's own assets; no inline script (the CSP allows none). */
export const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Driftwatch API</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${DOCS_ASSET_PATH}/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_ASSET_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_ASSET_PATH}/docs.js"></script>
  </body>
</html>
`;

/** Starts Swagger UI on the document; no validator badge (it would call validator.swagger.io). */
const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const TYPES: Readonly<Record<DocsAsset, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'docs.js': 'text/javascript; charset=utf-8',
};

/** One asset of the docs page: its bytes and content type. The swagger-ui-dist files are read once, on first use. */
export function docsAsset(name: DocsAsset): { body: Buffer; type: string } {
  return { body: (cache[name] ??= read(name)), type: TYPES[name] };
}

const cache: Partial<Record<DocsAsset, Buffer>> = {};

function read(name: DocsAsset): Buffer {
  if (name === 'docs.js') return Buffer.from(INITIALIZER);
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  // the bundle names a source map that is not served: drop the comment so browsers do not ask for it
  return Buffer.from(readFileSync(join(dir, name), 'utf8').replace(/\n\/[/*]# sourceMappingURL=\S+(\s*\*\/)?\s*$/, '\n'));
}
