import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '@driftwatch/common';
import { FlowStore } from '@driftwatch/persistence';
import { loadDeclaredPolicies, revisionContentHash } from '@driftwatch/policy-source';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { recordDeclared, RevisionFollower } from '../src/policy-activation.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const POLICY = (name: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: ${name}, namespace: activation }\nspec: { podSelector: {} }\n`;
const BROKEN = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: broken, namespace: activation }\nspec: {}\n';

let store: FlowStore;
const dir = mkdtempSync(join(tmpdir(), 'driftwatch-follower-'));
beforeAll(async () => {
  store = await FlowStore.open(databaseUrl);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores an uploaded revision of `texts` and, with `activate`, puts it in force (no check: as any writer could). */
async function upload(texts: readonly string[], activate: boolean): Promise<number> {
  const documents = texts.map((text, i) => ({ name: `${i}.yaml`, text }));
  const { revision } = await store.revisions.create(
    { sourceKind: 'upload', sourcePath: null, gitCommit: null, contentHash: revisionContentHash(documents), documents, policyCount: 0, problems: [] },
    'test',
    activate,
  );
  return revision.id;
}

describe('RevisionFollower', () => {
  it('switches to the revision activated last, compiled from its stored documents, and skips what it cannot enforce', async () => {
    writeFileSync(join(dir, 'p.yaml'), POLICY('from-disk'));
    const declared = await loadDeclaredPolicies(dir);
    const start = await recordDeclared(store, declared, 'start');
    const logger = memoryLogger();
    const pipeline = new FlowPipeline({ snapshot: declared.snapshot, id: start }, { logger });
    const follower = new RevisionFollower(pipeline, store, dir, logger, { id: start, contentHash: declared.contentHash });

    await follower.syncWithDatabase();
    expect(follower.revisionId).toBe(start); // nothing new: nothing switched
    expect(logger.lines).toEqual([]);

    const uploaded = await upload([POLICY('one'), BROKEN, POLICY('two')], true);
    await follower.syncWithDatabase();
    expect(follower.revisionId).toBe(uploaded);
    expect(pipeline.activeRevision.id).toBe(uploaded);
    expect(pipeline.activeRevision.snapshot.policies.map((p) => p.name)).toEqual(['one', 'two']);
    expect(logger.lines).toEqual([`log: policies: now revision ${uploaded} (2 policies, 1 object(s) with problems left out, activated in the database)`]);

    const unusable = await upload([BROKEN], true);
    await follower.syncWithDatabase();
    expect(follower.revisionId).toBe(uploaded);
    expect(logger.lines.at(-1)).toBe(
      `error: policies: revision ${unusable} was activated but cannot be enforced (no valid NetworkPolicy remains: 1 problem(s) leave nothing to enforce); keeping revision ${uploaded}`,
    );

    // A reload reads POLICY_DIR again: unchanged on disk, it is still not the running revision, so it goes back in force.
    await follower.reloadFromDisk();
    expect(follower.revisionId).toBe(start);
    expect(await store.revisions.active()).toMatchObject({ id: start });
    expect(logger.lines.at(-1)).toBe(`log: policies: now revision ${start} (1 policies)`);
    await follower.reloadFromDisk();
    expect(logger.lines.at(-1)).toBe('log: policies: unchanged');
    await pipeline.close();
  });
});
