import type { CommandEntry } from '../cli.js';

/** Every subcommand, in the order `driftwatch --help` lists them. */
export const commands: readonly CommandEntry[] = [
  { name: 'serve', summary: 'run the API (and configured flow collectors); applies migrations first', load: () => import('./serve.command.js') },
  { name: 'keys', summary: 'create, list or revoke API keys (role and namespace scope)', load: () => import('./keys.command.js') },
  { name: 'migrate', summary: 'apply pending database migrations (or create one: migrate create <name>)', load: () => import('./migrate.command.js') },
  { name: 'explain', summary: 'explain whether the declared policies allow one connection, and why', load: () => import('./explain.command.js') },
  { name: 'validate', summary: 'validate policy manifests (file:doc:path: message per problem)', load: () => import('./validate.command.js') },
  { name: 'conformance', summary: 'run NetworkPolicy conformance scenarios through the policy engine', load: () => import('./conformance.command.js') },
  { name: 'collect', summary: 'run the flow pipeline from Hubble or Calico sources into Postgres', load: () => import('./collect.command.js') },
  { name: 'evaluate', summary: 'classify recorded flows against declared policies, offline (exit 3 on drift)', load: () => import('./evaluate.command.js') },
  { name: 'whatif', summary: 'judge stored flows again against candidate policies (exit 3 when traffic would become unexpected)', load: () => import('./whatif.command.js') },
];
