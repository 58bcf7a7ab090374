/** DI token for the running version of Driftwatch (from package.json). */
export const APP_VERSION = Symbol('APP_VERSION');
