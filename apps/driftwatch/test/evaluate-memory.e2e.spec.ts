/**
 * Issue 11, item 4: memory does not grow with what flows choose. `evaluate` over 10,000 flows that each carry one
 * more label of 20 KB, unique per flow, peaks at no more than twice the RSS of the same run where that label is the
 * same on every flow. Both runs spawn the real binary; each reports its own peak RSS on exit
 * (`process.resourceUsage().maxRSS`, through a preloaded module), so no external tool is needed.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemPath } from '@driftwatch/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'apps', 'driftwatch', 'bin', 'driftwatch.js');
const policies = join(root, 'examples', 'shop', 'policies');
const FLOWS = 10_000;
const LABEL_BYTES = 20_000;

let dir: string;

/** Writes `FLOWS` copies of the first shop flow, each with its own uuid and time and an extra 20 KB label. */
function writeFlows(file: string, unique: boolean): void {
  const template = JSON.parse(readFileSync(join(root, 'examples', 'shop', 'flows.jsonl'), 'utf8').split('\n')[0] as string) as {
    flow: { uuid: string; time: string; source: { labels: string[] } };
  };
  template.flow.uuid = '@UUID@';
  template.flow.time = '@TIME@';
  template.flow.source.labels.push('k8s:extra=@EXTRA@');
  const text = JSON.stringify(template);
  const same = 's'.repeat(LABEL_BYTES);
  const fd = openSync(file, 'w');
  try {
    let chunk = '';
    for (let i = 0; i < FLOWS; i++) {
      const extra = unique ? `${i}-`.padEnd(LABEL_BYTES, String.fromCharCode(97 + (i % 26))) : same;
      const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const time = new Date(Date.UTC(2026, 2, 2, 10) + i).toISOString();
      chunk += `${text.replace('@UUID@', uuid).replace('@TIME@', time).replace('@EXTRA@', extra)}\n`;
      if (chunk.length > 4_000_000) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

/** Runs `driftwatch evaluate` on `flows`; resolves to its exit code, summary line and peak RSS in KiB. */
function evaluate(flows: string): Promise<{ code: number | null; summary: string; maxRssKb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(dir, 'report-rss.mjs'), bin, 'evaluate', '--policies', policies, '--flows', flows], {
      env: { PATH: systemPath() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (tail = (tail + d).slice(-4000)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const rss = /maxrss-kb (\d+)/.exec(stderr);
      if (!rss) return reject(new Error(`no RSS report; stderr: ${stderr}`));
      resolve({ code, summary: tail.trim().split('\n').at(-1) ?? '', maxRssKb: Number(rss[1]) });
    });
  });
}

describe('evaluate memory on attacker-chosen labels', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'driftwatch-memory-'));
    writeFileSync(
      join(dir, 'report-rss.mjs'),
      "import { writeSync } from 'node:fs';\nprocess.on('exit', () => writeSync(2, `\\nmaxrss-kb ${process.resourceUsage().maxRSS}\\n`));\n",
    );
    writeFlows(join(dir, 'same.jsonl'), false);
    writeFlows(join(dir, 'unique.jsonl'), true);
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('10,000 flows with a unique 20 KB label peak at most twice the RSS of the same flows with one shared label', async () => {
    const same = await evaluate(join(dir, 'same.jsonl'));
    const unique = await evaluate(join(dir, 'unique.jsonl'));
    for (const run of [same, unique]) {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.summary)).toMatchObject({ flows: FLOWS, allowed: FLOWS });
    }
    console.info(`evaluate peak RSS: shared label ${Math.round(same.maxRssKb / 1024)} MB, unique labels ${Math.round(unique.maxRssKb / 1024)} MB`);
    expect(unique.maxRssKb).toBeLessThanOrEqual(2 * same.maxRssKb);
  }, 90_000);
});
