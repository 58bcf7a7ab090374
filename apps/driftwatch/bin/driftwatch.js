#!/usr/bin/env node
// The `driftwatch` executable: registers the TypeScript loader, then runs the CLI from source.
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// swc-node looks for tsconfig.json in the working directory; point it at ours so `npx driftwatch` works from anywhere.
process.env.SWC_NODE_PROJECT ??= join(import.meta.dirname, '..', '..', '..', 'tsconfig.json');
register('@swc-node/register/esm', pathToFileURL(import.meta.filename));
const { main } = await import('../src/main.ts');
// Exit explicitly: a finished command must not linger on idle database pools or timers.
process.exit(await main(process.argv.slice(2)));
