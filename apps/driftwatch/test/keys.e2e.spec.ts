import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';

const serverUrl = inject('serverUrl');
const template = inject('templateDatabase');

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The tests run side by side, the first two on databases of their own (the first one needs a database without keys,
// the second one makes one); the refusals use the first one's.
describe.concurrent('driftwatch keys and the admin token of serve (real binary, own database)', () => {
  let database: TestDatabase;
  let other: TestDatabase;
  const env = { DATABASE_URL: '', LOG_LEVEL: 'warn' };
  const otherEnv = { DATABASE_URL: '', LOG_LEVEL: 'warn' };
  beforeAll(async () => {
    [database, other] = await Promise.all([createTestDatabase(serverUrl, template, 'driftwatch_keys'), createTestDatabase(serverUrl, template, 'driftwatch_keys')]);
    env.DATABASE_URL = database.url;
    otherEnv.DATABASE_URL = other.url;
  });
  afterAll(async () => {
    await database?.drop();
    await other?.drop();
  });

  it('serve makes an admin token for each run while no API key exists, none once one does, and never prints DRIFTWATCH_ADMIN_TOKEN', async ({ expect }) => {
    const alerts = (base: string, key?: string) => fetch(`${base}/api/v1/alerts`, key ? { headers: { authorization: `Bearer ${key}` } } : {}).then((r) => r.status);
    const first = await startServe({ ...env, PORT: '0' });
    await until(() => first.output().includes('flow sources:'));
    const token = /^admin token: (dwt_[A-Za-z0-9_-]{43}) \(this run only/m.exec(first.output())?.[1];
    try {
      expect(token).toBeDefined();
      expect(await alerts(first.url, token)).toBe(200);
      expect(await alerts(first.url)).toBe(401);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startServe({ ...env, PORT: '0' });
    await until(() => second.output().includes('flow sources:'));
    try {
      const next = /^admin token: (dwt_\S+)/m.exec(second.output())?.[1];
      expect(next).toBeDefined();
      expect(next).not.toBe(token);
      expect(await alerts(second.url, next)).toBe(200);
      expect(await alerts(second.url, token)).toBe(401); // the first run's token died with it
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect((await runCli(['keys', 'list'], env)).stdout.trim().split('\n')).toHaveLength(1); // the header: serve stored no key

    const created = await runCli(['keys', 'create', '--role', 'admin', '--namespaces', '*', '--name', 'ops'], env);
    expect(created.code).toBe(0);
    // Now that a key exists: a run without a configured token and one with it, side by side.
    const secret = `configured-${randomBytes(16).toString('hex')}`;
    const outcomes = await Promise.allSettled([
      (async () => {
        const withKey = await startServe({ ...env, PORT: '0' });
        await until(() => withKey.output().includes('flow sources:'));
        try {
          expect(withKey.output()).toMatch(/^admin token: none for this run: API keys exist/m);
          expect(withKey.output()).not.toMatch(/dwt_/);
          expect(await alerts(withKey.url, created.stdout.trim())).toBe(200);
        } finally {
          expect(await withKey.stop()).toBe(0);
        }
      })(),
      (async () => {
        const configured = await startServe({ ...env, PORT: '0', DRIFTWATCH_ADMIN_TOKEN: secret });
        await until(() => configured.output().includes('flow sources:'));
        try {
          expect(configured.output()).toMatch(/^admin token: DRIFTWATCH_ADMIN_TOKEN is in use$/m);
          expect(configured.output()).not.toContain(secret);
          expect(await alerts(configured.url, secret)).toBe(200);
        } finally {
          expect(await configured.stop()).toBe(0);
        }
      })(),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }, 150_000);

  it('creates a key and prints it once, lists it, and revokes it by prefix', async ({ expect }) => {
    const env = otherEnv;
    const created = await runCli(['keys', 'create', '--role', 'viewer', '--namespaces', 'shop,payments', '--name', 'dashboard'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^dw_[A-Za-z0-9_-]{43}$/);
    const prefix = key.slice(0, 11);
    expect(created.stderr).toContain(`created viewer key ${prefix} (dashboard) for shop,payments`);

    const list = await runCli(['keys', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^PREFIX\s+NAME\s+ROLE\s+SCOPE\s+CREATED\s+LAST USED\s+REVOKED$/m);
    expect(list.stdout).toMatch(new RegExp(`^${prefix}\\s+dashboard\\s+viewer\\s+shop,payments\\s+\\S+Z\\s+-\\s+-$`, 'm'));
    expect(list.stdout).not.toContain(key.slice(11));

    expect(await runCli(['keys', 'revoke', prefix], env)).toMatchObject({ code: 0, stdout: `revoked ${prefix}\n` });
    expect(await runCli(['keys', 'revoke', prefix], env)).toMatchObject({ code: 0, stdout: `${prefix} was already revoked\n` });
    expect((await runCli(['keys', 'list'], env)).stdout).toMatch(new RegExp(`^${prefix}\\s.*\\d+Z$`, 'm'));
  }, 90_000);

  it.for([
    [['keys'], 'driftwatch keys: name an action: create, list or revoke (see driftwatch keys --help)'],
    [['keys', 'create', '--namespaces', '*'], 'driftwatch keys: --role must be viewer, operator or admin'],
    [['keys', 'create', '--role', 'root', '--namespaces', '*'], 'driftwatch keys: --role must be viewer, operator or admin, got "root"'],
    [['keys', 'create', '--role', 'viewer'], 'driftwatch keys: --namespaces is required: * or namespace names separated by commas'],
    [['keys', 'create', '--role', 'viewer', '--namespaces', 'Shop!'], 'driftwatch keys: --namespaces: not a namespace name: "Shop!" (use * or names separated by commas)'],
    [['keys', 'revoke', 'dw_nothere'], 'driftwatch keys: no API key has the prefix "dw_nothere"'],
  ] as const)('refuses %j with one line and exit 2', async ([args, line], { expect }) => {
    const result = await runCli([...args], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(line);
  });
});
