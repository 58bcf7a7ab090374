import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
/** `auto`: readable lines on a terminal, JSON lines otherwise. */
const logFormats = ['auto', 'json', 'text'] as const;

function isPostgresUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
}

const postgresUrl = z.string().refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL with a host');

/** `host:port` with a port from 0 to 65535 (IPv6 hosts in brackets). */
export function isHostPort(value: string): boolean {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[2]) <= 65535;
}

/**
 * An address Driftwatch dials (Hubble, Goldmane): `host:port`, or a Unix socket `unix:///absolute/path` (a node's
 * Hubble server at unix:///var/run/cilium/hubble.sock).
 */
export function isDialAddress(value: string): boolean {
  return isHostPort(value) || /^unix:(\/\/)?\/[^\s\0]{1,200}$/.test(value);
}

const hostPort = z.string().refine(isHostPort, 'must be host:port');

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be from 1 to 65535')
  .max(65535, 'must be from 1 to 65535');

/** Days of data kept: a whole number from 1 to 3650. */
const retentionDays = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number of days')
  .min(1, 'must be from 1 to 3650 (days)')
  .max(3650, 'must be from 1 to 3650 (days)');

/**
 * Every environment variable Driftwatch reads, with its default. Keep README.md's configuration table in step.
 */
export const configSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_PROBE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/postgres'),
  DATABASE_NAME: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier')
    .default('driftwatch'),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be from 0 to 65535 (0 = any free port)')
    .max(65535, 'must be from 0 to 65535 (0 = any free port)')
    .default(8080),
  POLICY_DIR: z.string().min(1).optional(),
  HUBBLE_ADDRESS: hostPort.optional(),
  GOLDMANE_ADDRESS: hostPort.optional(),
  FELIX_LISTEN: hostPort.optional(),
  INGEST_LISTEN: hostPort.optional(),
  FLOW_SOURCE_TLS_CA: z.string().min(1).optional(),
  FLOW_SOURCE_TLS_CERT: z.string().min(1).optional(),
  FLOW_SOURCE_TLS_KEY: z.string().min(1).optional(),
  FLOW_SOURCE_TLS_SERVER_NAME: z.string().min(1).optional(),
  SOURCE_SERVER_TLS_CERT: z.string().min(1).optional(),
  SOURCE_SERVER_TLS_KEY: z.string().min(1).optional(),
  SOURCE_SERVER_TLS_CLIENT_CA: z.string().min(1).optional(),
  SOURCE_SERVER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SOURCE_SERVER_ALLOW_PLAINTEXT: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((value) => value === 'true'),
  FLOW_WINDOW_SECONDS: z.coerce.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(3600, 'must be at most 3600').default(10),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('log'),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((v) => v === 'true'),
  // --- alerts and access (issue 8) ---
  ALERT_RESOLVE_AFTER: z
    .string()
    .refine((v) => parseDuration(v) !== undefined, 'must be a duration such as 90s, 15m or 2h (at least 1s)')
    .default('15m')
    .transform((v) => parseDuration(v) as number),
  DRIFTWATCH_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  // --- observability (issue 10) ---
  LOG_FORMAT: z.enum(logFormats, { error: `must be one of ${logFormats.join(', ')}` }).default('auto'),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(256, 'must be at most 256 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent in an HTTP header)')
    .optional(),
  METRICS_LISTEN: hostPort.optional(),
  // --- retention (issue 9) ---
  FLOW_RETENTION_DAYS: retentionDays.default(30),
  EVIDENCE_RETENTION_DAYS: retentionDays.default(7),
  // --- the built-in demo source (issue 10): `serve` plays it when no flow source is configured ---
  DEMO: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  DEMO_RATE: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be from 1 to 5000 (flows per second)')
    .max(5000, 'must be from 1 to 5000 (flows per second)')
    .default(50),
  // --- HTTP hygiene (issue 9) ---
  HTTP_BODY_LIMIT: z
    .string()
    .refine((v) => parseByteSize(v) !== undefined, 'must be a size from 1KiB to 256MiB such as 512KiB, 1MiB or 1048576 (bytes)')
    .default('1MiB')
    .transform((v) => parseByteSize(v) as number),
  CORS_ORIGINS: z
    .string()
    .superRefine((v, ctx) => {
      const bad = v.split(',').map((o) => o.trim()).filter((o) => !isOrigin(o));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `must be origins such as https://dash.example.com, separated by commas (not an origin: ${bad.map((b) => JSON.stringify(b)).join(', ')})` });
    })
    .optional()
    .transform((v) => (v === undefined ? [] : [...new Set(v.split(',').map((o) => o.trim()))])),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be from 0 (no limit) to 1000000')
    .max(1_000_000, 'must be from 0 (no limit) to 1000000')
    .default(600),
});

const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2 };

/**
 * Bytes of a size written as a whole number with an optional unit (`1048576`, `512KiB`, `1MiB`; KB and MB are
 * read as KiB and MiB, as body-parser does); undefined when it is not one or is outside 1 KiB to 256 MiB.
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? BYTE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return bytes >= 1024 && bytes <= 256 * 1024 ** 2 ? bytes : undefined;
}

/** True for a browser origin: `http(s)://host[:port]`, nothing after it. */
export function isOrigin(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
}

/**
 * Milliseconds of a duration written as a number and a unit (`500ms`, `90s`, `15m`, `2h`, `1d`); undefined when
 * it is not one or is under one second.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(match[1]) * unit);
  return ms >= 1000 && Number.isFinite(ms) ? ms : undefined;
}

/** Settings that mean nothing alone: [variable, the variable it needs]. */
const NEEDS: readonly (readonly [string, string])[] = [
  ['FLOW_SOURCE_TLS_CERT', 'FLOW_SOURCE_TLS_KEY'],
  ['FLOW_SOURCE_TLS_KEY', 'FLOW_SOURCE_TLS_CERT'],
  ['SOURCE_SERVER_TLS_CERT', 'SOURCE_SERVER_TLS_KEY'],
  ['SOURCE_SERVER_TLS_KEY', 'SOURCE_SERVER_TLS_CERT'],
  ['SOURCE_SERVER_TLS_CLIENT_CA', 'SOURCE_SERVER_TLS_CERT'],
];

/** A TLS setting without its partner would silently mean plaintext (or fail later): say so at start. */
function checkTogether(values: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const [name, needed] of NEEDS) {
    if (values[name] !== undefined && values[needed] === undefined) {
      ctx.addIssue({ code: 'custom', path: [name], message: `needs ${needed} as well` });
    }
  }
}

/** The validated, frozen configuration. */
export type Config = Readonly<z.infer<typeof configSchema>>;
export type LogLevel = (typeof logLevels)[number];
export type LogFormatSetting = (typeof logFormats)[number];

/** Raised when one or more variables are invalid; `problems` holds one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once. Empty strings count as unset. Reports every invalid variable at once.
 * @param env defaults to process.env; tests pass their own.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const result = configSchema.superRefine(checkTogether).safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const shown = name in input ? ` (got ${JSON.stringify(redact(name, input[name] ?? ''))})` : '';
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  return Object.freeze(result.data);
}

/** Hides a password inside a URL so that config errors never print secrets. */
export function redact(name: string, value: string): string {
  if (name.endsWith('_TOKEN')) return '***';
  if (!name.endsWith('_URL')) return value;
  return redactUrl(value);
}

/**
 * A URL with its password replaced by `***`, for showing. The user information ends at the **last** `@` before
 * the host, so a password holding `/`, `:`, `?`, `#` or `@` is hidden whole even when the URL does not parse
 * (`postgres://user:a/b:Secret@host/db`); a URL without `@` has no password to hide. When in doubt, more is hidden,
 * never less.
 */
export function redactUrl(value: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  const start = scheme ? scheme[0].length : 0;
  const at = value.lastIndexOf('@');
  if (at < start) return value;
  const userInfo = value.slice(start, at);
  const colon = userInfo.indexOf(':');
  const user = colon === -1 ? userInfo : userInfo.slice(0, colon);
  // A "user" that holds a path or query separator means the split is unsure: hide it as well.
  const shownUser = /[/?#]/.test(user) ? '***' : user;
  return `${value.slice(0, start)}${shownUser}${colon === -1 && shownUser === user ? '' : ':***'}@${value.slice(at + 1)}`;
}

/**
 * The PATH of this process, for child processes that must find system tools (git, id, useradd) without
 * inheriting the rest of the environment, as the CLI's end-to-end tests run it.
 */
export function systemPath(): string {
  return process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
}
