import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createHubbleNormalizer, normalizeFlowJsonLine, type HubbleNormalizeResult } from '@driftwatch/flow';
import { CliError } from './cli.js';

/** One normalized input message and where it came from (`file:line`). */
export interface FlowInput {
  readonly where: string;
  readonly result: HubbleNormalizeResult;
}

/**
 * Reads flows from a file or stdin (`-`): Hubble JSON lines (`hubble observe -o json`, wrapped or bare), Calico
 * Goldmane protojson or Calico Enterprise flow-log lines, one object per line; or one JSON document holding a
 * single object or an array of them. Yields one normalized result per message, malformed ones included.
 */
export async function* readFlowInput(path: string): AsyncGenerator<FlowInput> {
  if (path !== '-') {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, 2);
    });
    if (info.isDirectory()) throw new CliError(`${path} is a directory; --flows takes a file or -`, 2);
  }
  const name = path === '-' ? 'stdin' : path;
  const stream = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const hubble = createHubbleNormalizer();
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const pending: string[] = [];
  let lineNo = 0;
  let documentMode = false;
  for await (const line of lines) {
    lineNo += 1;
    if (lineNo === 1 && /^\s*\[/.test(line)) documentMode = true;
    if (documentMode || pending.length > 0) {
      pending.push(line);
      continue;
    }
    const result = normalizeFlowJsonLine(line, { hubble });
    if (result.kind === 'error' && result.error.code === 'invalid_json' && /^\s*\{\s*$/.test(line)) {
      pending.push(line); // a pretty-printed document starts here
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
