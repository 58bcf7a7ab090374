import { ConfigError, loadConfig } from '../src/config.js';

/** The problem lines `loadConfig` reports for `env` (none when it is valid). For the config tests. */
export function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
