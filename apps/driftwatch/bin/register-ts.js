// Lets Node import this repository's TypeScript sources (see ts-hooks.js). Import it before any .ts module.
import { register } from 'node:module';

register('./ts-hooks.js', import.meta.url);
process.setSourceMapsEnabled(true);
