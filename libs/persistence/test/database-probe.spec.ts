import { describe, expect, inject, it } from 'vitest';
import { answers, describeUrl, isNothingAnswers } from '../src/database/postgres-probe.js';

describe('describeUrl', () => {
  it.each([
    ['postgresql://postgres:secret@127.0.0.1:5432/driftwatch', 'postgres@127.0.0.1:5432/driftwatch'],
    ['postgres://user:a/b:Secret@host/db', 'user@host:5432/db'],
    ['postgresql://postgres:p@ss/w:Secret@127.0.0.1:1/x', 'postgres@127.0.0.1:1/x'],
    ['postgres://db/x', 'db:5432/x'],
  ])('shows %s without its password', (url, shown) => {
    expect(describeUrl(url)).toBe(shown);
  });
});

describe('the probe: only "nothing answers" is a no', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [{ code: 'EHOSTUNREACH' }, true],
    [{ code: 'ENOENT' }, true],
    [{ code: 'ETIMEDOUT' }, true],
    [new Error('timeout expired'), true],
    [{ code: '28P01', message: 'password authentication failed for user "x"' }, false],
    [{ code: '28000', message: 'role "x" does not exist' }, false],
    [{ code: '3D000', message: 'database "x" does not exist' }, false],
    [new Error('The server does not support SSL connections'), false],
  ])('%j → nothing answers: %s', (error, nothing) => {
    expect(isNothingAnswers(error)).toBe(nothing);
  });

  it('answers false when nothing listens, and rethrows a refused login from a real server', async () => {
    expect(await answers('postgresql://postgres@127.0.0.1:1/postgres')).toBe(false);
    const server = new URL(inject('serverUrl'));
    server.username = 'driftwatch_no_such_role';
    const refused = await answers(server.toString()).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: '28000' });
  });
});
