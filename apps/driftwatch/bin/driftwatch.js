#!/usr/bin/env node
// The `driftwatch` executable: runs the CLI from its TypeScript sources (see register-ts.js).
import './register-ts.js';

const { main } = await import('../src/main.ts');
// Exit explicitly: a finished command must not linger on idle database pools or timers.
process.exit(await main(process.argv.slice(2)));
