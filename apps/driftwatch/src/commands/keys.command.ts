import { isRole, issueApiKey, parseNamespaceScope } from '@driftwatch/api';
import { printable } from '@driftwatch/common';
import { AlertStore, applyMigrations, type ApiKeyRow } from '@driftwatch/persistence';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { configOrExit, openDatabase } from '../database.js';

export const usage = `usage: driftwatch keys create --role viewer|operator|admin --namespaces <a,b|*> [--name <text>]
       driftwatch keys list
       driftwatch keys revoke <prefix>

API keys for the REST API and the socket.io stream (Authorization: Bearer <key>). A viewer reads; an operator
also acts on alerts and webhooks; an admin also manages keys. A key sees an alert or a flow when the namespace
on either side is in its scope (* for all). "create" prints the key once: only its hash is stored. "list" shows
prefix, name, role, scope, created and last used. "revoke" refuses the key from then on (open socket.io
connections close within 5 s). Creation and revocation are written to the audit log (actor "cli").`;

const table = (rows: readonly string[][]): string => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
};

const when = (d: Date | null): string => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function listing(keys: readonly ApiKeyRow[]): string {
  if (keys.length === 0) return 'no API keys\n';
  return table([
    ['PREFIX', 'NAME', 'ROLE', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED'],
    ...keys.map((k) => [k.prefix, printable(k.name), k.role, k.namespaces.join(','), when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)]),
  ]);
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { role: { type: 'string' }, namespaces: { type: 'string' }, name: { type: 'string' } },
    true,
  );
  const [action, ...rest] = positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new CliError(`name an action: create, list or revoke (see driftwatch keys --help)`, 2);
  }
  let request: { role: 'viewer' | 'operator' | 'admin'; namespaces: readonly string[]; name: string } | undefined;
  if (action === 'create') {
    if (rest.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`, 2);
    if (!values.role || !isRole(values.role)) throw new CliError(`--role must be viewer, operator or admin${values.role ? `, got ${JSON.stringify(values.role)}` : ''}`, 2);
    if (values.namespaces === undefined) throw new CliError('--namespaces is required: * or namespace names separated by commas', 2);
    const namespaces = parseNamespaceScope(values.namespaces);
    if (typeof namespaces === 'string') throw new CliError(`--namespaces: ${namespaces}`, 2);
    const name = values.name ?? `${values.role} key`;
    if (name.length > 200) throw new CliError('--name must be at most 200 characters', 2);
    request = { role: values.role, namespaces, name };
  } else if (values.role !== undefined || values.namespaces !== undefined || values.name !== undefined) {
    throw new CliError(`--role, --namespaces and --name go with "keys create" only`, 2);
  }
  if (action === 'revoke' && rest.length !== 1) throw new CliError('usage: driftwatch keys revoke <prefix>', 2);
  if (action === 'list' && rest.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`, 2);

  const config = configOrExit();
  const database = await openDatabase(io, config);
  const store = AlertStore.open(database.url, 2);
  try {
    await applyMigrations(database.url).catch((error: Error) => {
      throw new CliError(`migration failed: ${error.message}`);
    });
    if (request) {
      const { key, row } = await issueApiKey(store.keys, request, 'cli');
      io.stderr(`created ${row.role} key ${row.prefix} (${printable(row.name)}) for ${row.namespaces.join(',')}; it is shown this once:\n`);
      io.stdout(`${key}\n`);
      return 0;
    }
    if (action === 'list') {
      io.stdout(listing(await store.keys.list()));
      return 0;
    }
    const prefix = rest[0] as string;
    const outcome = await store.keys.revoke(prefix, 'cli');
    if (outcome === 'missing') throw new CliError(`no API key has the prefix ${JSON.stringify(printable(prefix))}`, 2);
    io.stdout(outcome === 'revoked' ? `revoked ${prefix}\n` : `${prefix} was already revoked\n`);
    return 0;
  } finally {
    await store.close();
    await database.close();
  }
}
