import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHubbleNormalizer, normalizeFlowJsonLine, type HubbleNormalizeResult } from '@driftwatch/flow';
import { CliError } from './cli.js';

/** Bounds on one input; a line or document over its bound is bad input (exit 2, one line), never a crash. */
export interface FlowInputLimits {
  /** Longest line, in bytes (default 16 MiB: V8 cannot hold a string much beyond 512 MiB at all). */
  readonly maxLineBytes?: number;
  /** Largest multi-line JSON document (a pretty-printed object or array), in bytes (default 64 MiB). */
  readonly maxDocumentBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** One normalized input message and where it came from (`file:line`). */
export interface FlowInput {
  readonly where: string;
  readonly result: HubbleNormalizeResult;
}

/**
 * Reads flows from a file or stdin (`-`): Hubble JSON lines (`hubble observe -o json`, wrapped or bare), Calico
 * Goldmane protojson or Calico Enterprise flow-log lines, one object per line; or one JSON document holding a
 * single object or an array of them. Yields one normalized result per message, malformed ones included.
 * @throws CliError (exit 2) for a missing file, a directory, a line or document over `limits`, or a document that
 *   is not JSON.
 */
export async function* readFlowInput(path: string, limits: FlowInputLimits = {}): AsyncGenerator<FlowInput> {
  const maxLineBytes = limits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxDocumentBytes = limits.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  if (path !== '-') {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, 2);
    });
    if (info.isDirectory()) throw new CliError(`${path} is a directory; --flows takes a file or -`, 2);
  }
  const name = path === '-' ? 'stdin' : path;
  const stream: AsyncIterable<Buffer> = path === '-' ? process.stdin : createReadStream(path);
  const hubble = createHubbleNormalizer();
  const pending: string[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  let documentMode = false;
  for await (const line of boundedLines(stream, maxLineBytes, name)) {
    lineNo += 1;
    if (lineNo === 1 && /^\s*\[/.test(line)) documentMode = true;
    if (documentMode || pending.length > 0) {
      pendingBytes += line.length + 1;
      if (pendingBytes > maxDocumentBytes) throw new CliError(`${name}: a JSON document larger than ${mib(maxDocumentBytes)}; not read`, 2);
      pending.push(line);
      continue;
    }
    const result = normalizeFlowJsonLine(line, { hubble });
    if (result.kind === 'error' && result.error.code === 'invalid_json' && /^\s*\{\s*$/.test(line)) {
      pending.push(line); // a pretty-printed document starts here
      pendingBytes = line.length + 1;
      continue;
    }
    if (result.kind === 'skip' && line.trim() === '') continue;
    yield { where: `${name}:${lineNo}`, result };
  }
  if (pending.length === 0) return;
  let document: unknown;
  try {
    document = JSON.parse(pending.join('\n'));
  } catch (error) {
    throw new CliError(`${name}: not JSON lines and not one JSON document (${(error as Error).message})`, 2);
  }
  const items = Array.isArray(document) ? document : [document];
  for (const [index, item] of items.entries()) {
    yield { where: `${name}:[${index}]`, result: normalizeFlowJsonLine(JSON.stringify(item), { hubble }) };
  }
}

/**
 * The lines of a byte stream (LF or CRLF), decoded as UTF-8 once whole. A line longer than `maxLineBytes` is never
 * held in memory: it ends the input with a CliError naming its place.
 */
async function* boundedLines(stream: AsyncIterable<Buffer>, maxLineBytes: number, name: string): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let size = 0;
  let lineNo = 1;
  const line = () => {
    const text = Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    lineNo += 1;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of stream) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      size += end - start;
      if (size > maxLineBytes) throw new CliError(`${name}:${lineNo}: line longer than ${mib(maxLineBytes)}; not read`, 2);
      if (end > start) parts.push(chunk.subarray(start, end));
      if (newline === -1) break;
      yield line();
      start = newline + 1;
    }
  }
  if (size > 0) yield line();
}

function mib(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
