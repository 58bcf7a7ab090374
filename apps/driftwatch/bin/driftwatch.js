#!/usr/bin/env node
// The `driftwatch` executable. It runs the compiled JavaScript (tools/build.mjs: `npm ci`, `npm run build` and
// `npm start` build it) when that is up to date with the TypeScript sources; otherwise it says so in one line on
// stderr and runs the sources through the SWC loader (register-ts.js), which takes seconds longer to start.
// `--version` is answered from package.json before anything else is loaded.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

const { compiledBuild } = await import('./compiled.js');
const build = compiledBuild();
let main;
if (build.fresh) {
  process.setSourceMapsEnabled(true); // stack traces name the TypeScript lines
  ({ main } = await import(build.entry));
} else {
  process.stderr.write(`driftwatch: ${build.reason}; running the TypeScript sources (slower start; \`npm run build\` compiles them)\n`);
  await import('./register-ts.js');
  ({ main } = await import('../src/main.ts'));
}
// Exit explicitly: a finished command must not linger on idle database pools or timers.
process.exit(await main(args));
