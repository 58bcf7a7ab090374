import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './cli.js';
import { readFlowInput, type FlowInputLimits } from './flow-input.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftwatch-flow-input-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function read(text: string, limits: FlowInputLimits): Promise<string[]> {
  const file = join(root, `input-${Math.random().toString(16).slice(2)}.jsonl`);
  await writeFile(file, text);
  const where: string[] = [];
  for await (const input of readFlowInput(file, limits)) where.push(input.where);
  return where;
}

describe('readFlowInput limits (the real default, 16 MiB, is tested over the binary)', () => {
  it('reads lines up to the limit (a CR before LF counts), LF or CRLF', async () => {
    const line = `{"flow": "${'x'.repeat(80)}"}`;
    expect(await read(`${line}\r\n${line}\n${line}`, { maxLineBytes: line.length + 1 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/:1$/), expect.stringMatching(/:2$/), expect.stringMatching(/:3$/)]),
    );
  });

  it('refuses a line over the limit without holding it, naming its place (exit 2)', async () => {
    const error = await read(`{"flow": {}}\n{"flow": "${'x'.repeat(100_000)}"}\n`, { maxLineBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/input-[0-9a-f]+\.jsonl:2: line longer than 1000 bytes; not read$/);
  });

  it('refuses a multi-line JSON document over its limit (exit 2)', async () => {
    const document = `[\n${Array.from({ length: 100 }, () => '  {"flow": {}},').join('\n')}\n  {"flow": {}}\n]\n`;
    const error = await read(document, { maxDocumentBytes: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/a JSON document larger than 500 bytes; not read$/);
    expect(await read(document, {})).toHaveLength(101);
  });
});
