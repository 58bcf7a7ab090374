import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRepository, ApiKeyRow } from '@driftwatch/persistence';
import { ROLES, type Role } from './access.js';

/** Keys look like `dw_` + 43 base64url characters (256 random bits); the first 11 characters are the prefix. */
const KEY_PATTERN = /^dw_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 11;

/** sha256 of a key, hex: what the database stores (a 256-bit random key needs no slow hash). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The prefix that names a key in lists, logs and the audit log; undefined when `key` is not shaped like one. */
export function apiKeyPrefix(key: string): string | undefined {
  return KEY_PATTERN.test(key) ? key.slice(0, PREFIX_LENGTH) : undefined;
}

/** True when the sha256 of `key` equals `storedHash`, compared in constant time. */
export function keyMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** True when `token` equals `secret`, in constant time whatever their lengths. */
export function tokenMatches(token: string, secret: string): boolean {
  return timingSafeEqual(createHash('sha256').update(token).digest(), createHash('sha256').update(secret).digest());
}

/** A new random key; only its prefix and hash are ever stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `dw_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: hashApiKey(key) };
}

/** What `keys create` asks for. `namespaces` is `['*']` for every namespace. */
export interface ApiKeyRequest {
  readonly role: Role;
  readonly namespaces: readonly string[];
  readonly name: string;
}

/**
 * Parses `--namespaces`: `*`, or namespace names separated by commas (each a DNS label). Returns the list or a
 * message saying what is wrong.
 */
export function parseNamespaceScope(text: string): readonly string[] | string {
  const trimmed = text.trim();
  if (trimmed === '*') return ['*'];
  const names = trimmed.split(',').map((n) => n.trim());
  const bad = names.find((n) => !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
  if (bad !== undefined) return `not a namespace name: ${JSON.stringify(bad)} (use * or names separated by commas)`;
  return [...new Set(names)];
}

/** True when `role` is one of viewer, operator, admin. */
export function isRole(role: string): role is Role {
  return (ROLES as readonly string[]).includes(role);
}

/** Creates a key for `actor` (audited) and returns it: the only time the whole key exists outside the caller. */
export async function issueApiKey(keys: ApiKeyRepository, request: ApiKeyRequest, actor: string): Promise<{ key: string; row: ApiKeyRow }> {
  for (let attempt = 0; ; attempt += 1) {
    const generated = generateApiKey();
    try {
      const row = await keys.create({ prefix: generated.prefix, hash: generated.hash, name: request.name, role: request.role, namespaces: request.namespaces }, actor);
      return { key: generated.key, row };
    } catch (error) {
      // a prefix collision (48 random bits) is retried with a new key; anything else is the caller's
      if ((error as { code?: string }).code !== '23505' || attempt >= 3) throw error;
    }
  }
}

/**
 * A token for `ApiOptions.adminToken` when none is configured: 256 random bits, shaped `dwt_…` so that it is never
 * taken for (or looked up as) an API key. `serve` makes one per run when no API key can be used and prints it.
 */
export function generateAdminToken(): string {
  return `dwt_${randomBytes(32).toString('base64url')}`;
}
