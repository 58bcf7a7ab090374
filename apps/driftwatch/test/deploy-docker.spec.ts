import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { systemPath } from '@driftwatch/config';
import { parse } from 'yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';

// The Dockerfile and docker-compose.yml, checked without a Docker engine (there is none on the machines that run
// the suite): what the image is built from, who it runs as, and that the files it copies are enough to serve.

const root = join(import.meta.dirname, '..', '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: number;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), each with its stage (0-based; -1 before FROM). */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  let stage = -1;
  const found: Instruction[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    if (keyword === 'FROM') stage += 1;
    found.push({ keyword, args: (match[2] ?? '').trim(), stage });
  }
  return found;
}

/** A .dockerignore pattern as a regular expression over slash-separated paths relative to the context. */
function ignoreRegex(pattern: string): RegExp {
  const source = pattern
    .replace(/^\/+|\/+$/g, '')
    .split(/(\*\*\/|\*\*|\*|\?)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

const ignorePatterns = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map(ignoreRegex);

/** Whether Docker leaves `path` (relative to the context) out: a pattern matches it or a folder above it. */
function ignored(path: string): boolean {
  const parts = path.split('/');
  return parts.some((_, i) => ignorePatterns.some((p) => p.test(parts.slice(0, i + 1).join('/'))));
}

const dockerfile = instructions(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const runtimeStage = Math.max(...dockerfile.map((i) => i.stage));
const runtime = dockerfile.filter((i) => i.stage === runtimeStage);
const envOf = (list: Instruction[]) =>
  Object.fromEntries(list.filter((i) => i.keyword === 'ENV').flatMap((i) => [...i.args.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? ''])));

describe('Dockerfile', () => {
  it('builds on Node 24 in stages: dependencies with npm ci, then a runtime without devDependencies', () => {
    const nodeImage = /^NODE_IMAGE=(\S+)$/.exec(dockerfile.find((i) => i.keyword === 'ARG')?.args ?? '')?.[1];
    expect(nodeImage).toMatch(/^node:24-bookworm-slim/);
    const froms = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['${NODE_IMAGE} AS deps', '${NODE_IMAGE}']);
    expect(dockerfile.find((i) => i.keyword === 'RUN' && i.stage === 0)?.args).toMatch(/^npm ci --omit=dev\b/);
    expect(runtime.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=deps')).map((i) => i.args.split(/\s+/)[1])).toEqual([
      '/app/node_modules',
      '/app/libs/persistence/src/generated',
    ]);
  });

  it('runs as a numeric non-root user that owns the embedded PostgreSQL\'s volume, listening on every address', () => {
    const user = runtime.find((i) => i.keyword === 'USER')?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/); // numeric, so Kubernetes' runAsNonRoot can check it
    const env = envOf(runtime);
    expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: '8080', NODE_ENV: 'production' });
    const dataDir = env['EMBEDDED_POSTGRES_DIR'] ?? '';
    const volume = dataDir.slice(0, dataDir.lastIndexOf('/'));
    expect(volume).not.toBe('');
    expect(runtime.find((i) => i.keyword === 'RUN')?.args).toContain(`mkdir -p ${volume} && chown ${user} ${volume}`);
    expect(runtime.find((i) => i.keyword === 'VOLUME')?.args).toBe(`["${volume}"]`);
    // the RUN that prepares the volume comes before USER, which every later instruction runs as
    expect(runtime.findIndex((i) => i.keyword === 'RUN')).toBeLessThan(runtime.findIndex((i) => i.keyword === 'USER'));
  });

  it('exposes the API, checks /api/v1/health, and starts `driftwatch serve`', () => {
    expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args.split(/\s+/)).toContain('8080');
    expect(runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args).toMatch(/CMD \["node", "-e", ".*\/api\/v1\/health.*"\]$/);
    expect(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe('["node", "apps/driftwatch/bin/driftwatch.js"]');
    expect(runtime.find((i) => i.keyword === 'CMD')?.args).toBe('["serve"]');
  });

  it('copies only files that exist and that .dockerignore lets through; secrets and installs stay out', () => {
    for (const copy of dockerfile.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(root, source)), `COPY ${source}`).toBe(true);
        expect(ignored(source), `COPY ${source} is in .dockerignore`).toBe(false);
      }
    }
    for (const path of ['node_modules', '.env', '.env.production', 'x.env', '.git', '.data/postgres', 'libs/persistence/src/generated/prisma', 'libs/flow/test/fixtures', 'apps/driftwatch/test/serve.e2e.spec.ts', 'libs/api/src/alerts/alerts.spec.ts']) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['libs/api/src/api.module.ts', 'apps/driftwatch/bin/driftwatch.js', 'prisma/migrations', 'examples/shop/policies', 'libs/collector/proto/goldmane/api.proto']) {
      expect(ignored(path), path).toBe(false);
    }
  });

  describe('the runtime stage\'s files', () => {
    const staging = mkdtempSync(join(tmpdir(), 'driftwatch-image-'));
    afterAll(() => rmSync(staging, { recursive: true, force: true }));

    it('are enough for `serve`: copied as the Dockerfile and .dockerignore say, it answers health', async () => {
      for (const copy of runtime.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
        const words = copy.args.split(/\s+/);
        const target = words.at(-1) ?? '';
        for (const source of words.slice(0, -1)) {
          const to = target.endsWith('/') ? join(staging, target, source.split('/').at(-1) ?? '') : join(staging, target);
          cpSync(join(root, source), to, { recursive: true, filter: (from) => !ignored(relative(root, from)) });
        }
      }
      // what the deps stage makes: the installed packages (here with devDependencies too) and the generated client
      symlinkSync(join(root, 'node_modules'), join(staging, 'node_modules'));
      cpSync(join(root, 'libs', 'persistence', 'src', 'generated'), join(staging, 'libs', 'persistence', 'src', 'generated'), { recursive: true });
      expect(existsSync(join(staging, 'libs', 'api', 'test'))).toBe(false);

      const env = { ...envOf(runtime), PATH: systemPath(), DATABASE_URL: inject('databaseUrl'), HOST: '127.0.0.1', PORT: '0', DRIFTWATCH_ADMIN_TOKEN: 'i'.repeat(32) };
      const child = spawn(process.execPath, ['apps/driftwatch/bin/driftwatch.js', 'serve'], { cwd: staging, env });
      let output = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (d: string) => {
          output += d;
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        };
        child.stdout.setEncoding('utf8').on('data', onData);
        child.stderr.setEncoding('utf8').on('data', onData);
        void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
      });
      try {
        const health = await fetch(`${url}/api/v1/health`);
        expect(await health.json()).toEqual({ status: 'ok', database: 'up', version });
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    }, 60_000);
  });
});

// --- docker-compose.yml ----------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  read_only?: boolean;
  init?: boolean;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };

describe('docker-compose.yml', () => {
  const { postgres, driftwatch } = compose.services;

  it('runs PostgreSQL 16, ready when it answers over TCP (not the init-time socket-only server)', () => {
    expect(postgres?.image).toBe('postgres:16');
    expect(postgres?.healthcheck?.test.join(' ')).toMatch(/pg_isready -h 127\.0\.0\.1 -U driftwatch -d driftwatch/);
    expect(postgres?.ports).toBeUndefined(); // only the compose network reaches it
  });

  it('starts Driftwatch from this Dockerfile once PostgreSQL is healthy, and checks its health', () => {
    expect(driftwatch?.build).toBe('.');
    expect(driftwatch?.image).toBe(`driftwatch:${version}`);
    expect(driftwatch?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(driftwatch?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8080/api/v1/health');
    expect(driftwatch?.environment?.['DATABASE_URL']).toBe('postgresql://driftwatch:${POSTGRES_PASSWORD:-driftwatch}@postgres:5432/driftwatch');
    expect(driftwatch?.environment?.['HOST']).toBe('0.0.0.0');
    expect(driftwatch?.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(driftwatch).toMatchObject({ read_only: true, init: true });
  });

  const docker = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!docker)(`is what \`docker compose config\` accepts${docker ? '' : ' (skipped: no docker compose on this machine)'}`, () => {
    const run = spawnSync('docker', ['compose', '-f', join(root, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', env: { PATH: systemPath() } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
