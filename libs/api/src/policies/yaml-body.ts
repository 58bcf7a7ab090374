import type { IncomingMessage } from 'node:http';
import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { POLICY_YAML_CONTENT_TYPES } from '@driftwatch/contracts';

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
 * Reads a text body of at most `limit` bytes, for one route (the app's parsers leave other content types
 * unread, so this composes with whatever JSON limits the app sets). A body over the limit is read to its end and
 * dropped (as the JSON parser does, so the client gets the answer instead of a reset), then refused with 413;
 * a body that is not UTF-8 is a 400.
 */
export async function readTextBody(request: IncomingMessage, limit: number): Promise<string> {
  const parsed = (request as IncomingMessage & { body?: unknown }).body;
  if (Buffer.isBuffer(parsed)) return decodeUtf8(parsed);
  const declared = Number(request.headers['content-length']);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit && !(declared > limit)) chunks.push(chunk);
  }
  if (size > limit || declared > limit) throw new PayloadTooLargeException(`the YAML body is over the limit of ${limit} bytes`);
  return decodeUtf8(Buffer.concat(chunks));
}

/** The text of a YAML body, or a 400 when it is not UTF-8. */
function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'invalid request: (root): the YAML body is not valid UTF-8', issues: [{ path: '(root)', message: 'is not valid UTF-8' }] });
  }
}
