import { printable } from '@driftwatch/common';
import {
  checkTimeRange, isoDateTimeInput, MAX_RANGE_DAYS, namespaceName, WHATIF_TIME_LIMIT_SECONDS, type ConnectionEnd, type WhatIfResult,
} from '@driftwatch/contracts';
import { ReportStore, runWhatIf, WhatIfTooLargeError, type WhatIfCandidate } from '@driftwatch/persistence';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { loadDeclaredPolicies } from '@driftwatch/policy-source';
import { z } from 'zod';
import { CliError, parseCommandArgs, parseIntegerOption, type CliIo } from '../cli.js';
import { configOrExit, openDatabase } from '../database.js';

export const usage = `usage: driftwatch whatif (--policies <path> | --revision <n>) --from <time> --to <time>
                      [--namespace <a,b>] [--database-url <url>] [--json] [--time-limit <seconds>]

Judges the flows stored in the database again against a candidate revision, and prints which connections would
change label (allowed, denied, unexpected): for each (stored label → candidate label) pair, the records and flows
and the 10 connections with the most flows. The same computation as POST /api/v1/whatif; a CI gate for policy
changes: run it on the branch's policies against last week's traffic.

  --policies    the candidate: a manifest file or a directory (refused, exit 2, when it has any problem)
  --revision    the candidate: a policy revision stored in the database, by number
  --from/--to   the range of record windows, ISO 8601 with a time zone (2026-03-02T00:00:00Z); at most ${MAX_RANGE_DAYS} days
  --namespace   only records with one of these namespaces on either side (default: all)
  --database-url  the database to read (default: as for serve: DATABASE_URL, the local PostgreSQL, embedded)
  --json        print the answer as JSON (the REST answer's shape) instead of text
  --time-limit  give up after this many seconds (default ${WHATIF_TIME_LIMIT_SECONDS}; exit 2, the range is too large)

Records written before endpoint identities were kept are judged from the candidate's inventory and counted as
"approximate". The database is only read (no migration is applied).

Exit status: 3 when some allowed or denied traffic would become unexpected, 0 otherwise, 2 for bad input (flags,
policies with problems, an unknown revision, a range too large), 1 for any other failure (a database that does
not answer).`;

const rangeSchema = z.object({ from: isoDateTimeInput, to: isoDateTimeInput }).superRefine(checkTimeRange);

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    policies: { type: 'string' },
    revision: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    namespace: { type: 'string' },
    'database-url': { type: 'string' },
    json: { type: 'boolean', default: false },
    'time-limit': { type: 'string' },
  });
  if ((values.policies === undefined) === (values.revision === undefined)) {
    throw new CliError('name the candidate with exactly one of --policies <path> or --revision <n> (see driftwatch whatif --help)', 2);
  }
  const revisionNumber = parseIntegerOption('revision', values.revision, 1, 2_147_483_647);
  const timeLimit = parseIntegerOption('time-limit', values['time-limit'], 1, 86_400) ?? WHATIF_TIME_LIMIT_SECONDS;
  const range = parseRange(values.from, values.to);
  const scope = parseNamespaces(values.namespace);
  const databaseUrl = values['database-url'];
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new CliError(`--database-url must be a postgres:// or postgresql:// URL`, 2);
  }
  // Bad policies fail fast, before a database is opened.
  const declared = values.policies === undefined ? undefined : await loadDeclaredPolicies(values.policies);

  const config = configOrExit();
  const database = await openDatabase(io, databaseUrl === undefined ? config : { ...config, DATABASE_URL: databaseUrl });
  const store = ReportStore.open(database.url, { max: 2, statementTimeoutMs: timeLimit * 1000 });
  try {
    let candidate: WhatIfCandidate;
    let name: string;
    if (declared !== undefined) {
      candidate = { snapshot: declared.snapshot, revision: null };
      name = declared.path;
    } else {
      const stored = await store.compliance.revision(revisionNumber as number).catch(schemaHint);
      if (!stored) throw new CliError(`no policy revision ${revisionNumber} in the database`, 2);
      candidate = { snapshot: compileRevision(loadManifests(stored.documents), { revision: stored.id }), revision: stored.id };
      name = `revision ${stored.id}`;
    }
    const result = await runWhatIf(store.reader(), candidate, { ...range, scope, timeLimitMs: timeLimit * 1000 }).catch((error: unknown) => {
      if (error instanceof WhatIfTooLargeError) throw new CliError(error.message, 2);
      return schemaHint(error);
    });
    io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : render(result, name));
    return result.becomeUnexpected > 0 ? 3 : 0;
  } finally {
    await store.close();
    await database.close();
  }
}

function parseRange(from: string | undefined, to: string | undefined): { from: Date; to: Date } {
  if (from === undefined || to === undefined) throw new CliError('--from and --to are required (ISO 8601 times with a time zone)', 2);
  const parsed = rangeSchema.safeParse({ from, to });
  if (!parsed.success) {
    throw new CliError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? 'to')} ${i.message}`).join('; '), 2);
  }
  return parsed.data;
}

function parseNamespaces(text: string | undefined): '*' | string[] {
  if (text === undefined) return '*';
  const names = [...new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  const bad = names.filter((name) => !namespaceName.safeParse(name).success);
  if (names.length === 0 || bad.length > 0) {
    throw new CliError(`--namespace must be a comma-separated list of namespace names${bad.length > 0 ? `, got ${JSON.stringify(bad[0])}` : ''}`, 2);
  }
  return names;
}

/** A database whose schema predates this version says so in one line instead of an SQL error. */
function schemaHint(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '42703' || code === '42P01') {
    throw new CliError(`the database's schema is older than this driftwatch (${(error as Error).message}); run driftwatch migrate first`);
  }
  throw error;
}

const number = (n: number) => n.toLocaleString('en-US');

function side(end: ConnectionEnd): string {
  if (end.namespace !== null && end.workload !== null) return `${end.namespace}/${end.workload}`;
  return [end.namespace, end.workload, end.ip].filter((part) => part !== null).join('/') || '?';
}

/** The answer as text: one block per transition, then the totals and the verdict of the gate. */
export function render(result: WhatIfResult, candidate: string): string {
  const { totals } = result;
  const scope = result.namespaces === '*' ? 'all namespaces' : `namespaces ${result.namespaces.join(', ')}`;
  const lines = [
    `what-if: ${candidate} (${result.candidate.policies} policies) against ${number(totals.records)} records (${number(totals.flows)} flows) ` +
      `from ${result.from} to ${result.to}, ${scope}`,
  ];
  if (result.transitions.length === 0) lines.push('no connection changes label');
  for (const t of result.transitions) {
    lines.push(`  ${t.from} -> ${t.to}: ${number(t.records)} records, ${number(t.flows)} flows`);
    for (const s of t.samples) {
      lines.push(`    ${side(s.src)} -> ${side(s.dst)} ${s.protocol}${s.port === null ? '' : ` ${s.port}`}: ${number(s.flows)} flows`);
    }
  }
  lines.push(`unchanged ${number(totals.unchanged)} records; approximate ${number(totals.approximate)}; ${totals.seconds} s`);
  lines.push(
    result.becomeUnexpected > 0
      ? `${number(result.becomeUnexpected)} records of allowed or denied traffic would become unexpected`
      : 'no allowed or denied traffic would become unexpected',
  );
  return `${lines.map((line) => printable(line)).join('\n')}\n`;
}
