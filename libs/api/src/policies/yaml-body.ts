import type { IncomingMessage } from 'node:http';
import { UnsupportedMediaTypeException } from '@nestjs/common';
import { POLICY_YAML_CONTENT_TYPES } from '@driftwatch/contracts';
import { badRequest } from '../validation/zod.pipe.js';

/** What a request body is, by its Content-Type: JSON (parsed by the app's JSON parser), YAML text, or nothing. */
export type BodyKind = 'json' | 'yaml' | 'none';

/**
 * The kind of body of `request`, for a route that takes JSON or YAML. A body of another type is a 415 naming the
 * accepted ones; a YAML body in a charset other than UTF-8 too.
 */
export function bodyKind(request: IncomingMessage): BodyKind {
  const header = request.headers['content-type'];
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const length = request.headers['content-length'];
  if (type === '') return length === undefined || length === '0' ? 'none' : unsupported(header);
  if (type === 'application/json') return 'json';
  if (!(POLICY_YAML_CONTENT_TYPES as readonly string[]).includes(type)) return unsupported(header);
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeException(`a YAML body must be UTF-8 (got charset ${JSON.stringify(charset)})`);
  }
  return 'yaml';
}

function unsupported(header: string | undefined): never {
  throw new UnsupportedMediaTypeException(
    `send application/json or YAML (${POLICY_YAML_CONTENT_TYPES.join(', ')}); got ${JSON.stringify(header ?? '')}`.slice(0, 300),
  );
}

/**
 * The text of a YAML body as the app's raw parser leaves it (`configureHttp` reads YAML as bytes, up to
 * POLICY_UPLOAD_MAX_BYTES, and answers 413 beyond). A 400 when there is no body at all (a YAML type without
 * Content-Length or Transfer-Encoding: the parser had nothing to read) or when it is not UTF-8.
 */
export function yamlText(body: unknown): string {
  if (!Buffer.isBuffer(body)) throw badRequest([{ path: '(root)', message: 'a YAML body is required (the manifests)' }]);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw badRequest([{ path: '(root)', message: 'the YAML body is not valid UTF-8' }]);
  }
}
