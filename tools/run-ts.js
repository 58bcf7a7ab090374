#!/usr/bin/env node
// Runs one TypeScript file of this repository (benchmarks, tools) through the same loader as the CLI.
import { register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node tools/run-ts.js <file.ts> [args...]\n');
  process.exit(2);
}
process.env.SWC_NODE_PROJECT ??= join(dirname(import.meta.dirname), 'tsconfig.json');
register('@swc-node/register/esm', pathToFileURL(import.meta.filename));
process.argv = [process.argv[0], resolve(file), ...rest];
await import(pathToFileURL(resolve(file)).href);
