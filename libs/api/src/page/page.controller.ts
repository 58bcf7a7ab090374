import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../auth/access.js';

/**
 * The CSP of the page: its own origin only (scripts, styles, socket.io and fetch), no inline anything, no
 * framing, no plugins. The page is built to it (no inline script or style), and the browser test runs under it.
 */
export const PAGE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const STATIC = join(import.meta.dirname, 'static');

/** The socket.io client the server's own socket.io ships (same version; `socket.io` is a runtime dependency). */
function socketIoClient(): string {
  const root = dirname(createRequire(import.meta.url).resolve('socket.io/package.json'));
  return readFileSync(join(root, 'client-dist', 'socket.io.esm.min.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

/**
 * The live page (`/`) and its three assets under `/ui/`: public, since the page holds no data (it asks for an
 * API key and reads everything with it). Files are read once, at start; nothing is built.
 */
@Public()
@Controller()
export class PageController {
  private readonly files = {
    html: readFileSync(join(STATIC, 'index.html'), 'utf8'),
    js: readFileSync(join(STATIC, 'app.js'), 'utf8'),
    css: readFileSync(join(STATIC, 'app.css'), 'utf8'),
    socketIo: socketIoClient(),
  };

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', PAGE_CSP)
  @Header('referrer-policy', 'no-referrer')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  page(): string {
    return this.files.html;
  }

  @Get('ui/app.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  script(): string {
    return this.files.js;
  }

  @Get('ui/app.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  styles(): string {
    return this.files.css;
  }

  @Get('ui/socket.io.esm.min.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  socketIo(): string {
    return this.files.socketIo;
  }
}
