#!/usr/bin/env node
// Runs one TypeScript file of this repository (benchmarks, tools) with the CLI's loader.
import '../apps/driftwatch/bin/register-ts.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node tools/run-ts.js <file.ts> [args...]\n');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(file), ...rest];
await import(pathToFileURL(resolve(file)).href);
