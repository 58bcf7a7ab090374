import { Controller, Get, Header, Inject, NotFoundException, Param, StreamableFile } from '@nestjs/common';
import { API_ROUTES, buildOpenApiDocument, DOCS_ASSETS, type DocsAsset, type OpenApiDocument } from '@driftwatch/contracts';
import { Public } from '../auth/access.js';
import { APP_VERSION } from '../tokens.js';
import { DOCS_PAGE, docsAsset } from './docs-assets.js';

/**
 * The API describing itself, without a key: `GET /api/v1/openapi.json` (OpenAPI 3.1, generated once from
 * API_ROUTES, the contracts the routes validate with) and `GET /api/v1/docs`, Swagger UI whose every asset this
 * app serves (`/api/v1/docs/assets/...`): the page works without reaching the internet.
 */
@Public()
@Controller()
export class OpenApiController {
  private document: OpenApiDocument | undefined;

  constructor(@Inject(APP_VERSION) private readonly version: string) {}

  @Get('openapi.json')
  openApi(): OpenApiDocument {
    return (this.document ??= buildOpenApiDocument(API_ROUTES, { version: this.version }));
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  docs(): string {
    return DOCS_PAGE;
  }

  @Get('docs/assets/:file')
  @Header('cache-control', 'public, max-age=3600')
  asset(@Param('file') file: string): StreamableFile {
    if (!(DOCS_ASSETS as readonly string[]).includes(file)) throw new NotFoundException(`no docs asset ${JSON.stringify(file)}`);
    const { body, type } = docsAsset(file as DocsAsset);
    return new StreamableFile(body, { type, length: body.length });
  }
}
