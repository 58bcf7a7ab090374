/** Network errors of Node and connection errors of postgres.js: the database cannot be reached right now. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATE classes and codes that say the server is unavailable or the transaction lost a race, not that a
 * row is bad: 08 connection exception, 53 insufficient resources, 58 system error, 57P01-57P03 shutdown / cannot
 * connect now, 57014 query canceled, 40001 serialization failure, 40P01 deadlock, 55P03 lock not available.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '58']);
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57014', '40001', '40P01', '55P03']);

/**
 * Whether a failed write should be retried as it is (the database is unreachable, shutting down, out of
 * resources, or the transaction lost a race) rather than searched for rows Postgres refuses. Anything else,
 * data errors (22xxx, 23xxx, 54xxx) and values that could not even be encoded included, is not.
 */
export function isUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_STATES.has(code))) return true;
  }
  // Node reports a refused connection to every address of a host as one AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.some(isUnavailable);
}
