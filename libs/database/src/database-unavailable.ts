/**
 * Errors that mean "the database cannot be reached or is going away", as opposed to an
 * error caused by the statement (a constraint, bad input). A request that meets one is
 * answered 503 with Retry-After; a batch that meets one is not blamed on any command of it.
 */

/** SQLSTATE classes and codes of an unreachable or restarting server. */
const UNAVAILABLE_SQLSTATE_PREFIXES = ['08'];
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovery)
  '53300', // too_many_connections
  // read_only_sql_transaction: a write reached a standby. Behind a failover proxy this is the
  // moment of a switch (the old primary demoted, or a new connection routed before the proxy
  // saw the promotion), so it is a passing outage; no statement of the ledger is read-only by mistake.
  '25006',
]);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres raises these as plain Errors without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'terminating connection',
];
/** Whole messages too generic to match as fragments: `pg`'s own connect timeout ("timeout expired"). */
const UNAVAILABLE_EXACT_MESSAGES = new Set(['timeout expired']);

export class DatabaseUnavailableError extends Error {
  constructor(readonly causeError: unknown) {
    super(`the database is unavailable: ${causeError instanceof Error ? causeError.message : String(causeError)}`);
    this.name = 'DatabaseUnavailableError';
  }
}

export function isDatabaseUnavailableError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (code.length === 5 && UNAVAILABLE_SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string') {
    if (UNAVAILABLE_EXACT_MESSAGES.has(message) || UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment))) return true;
  }
  // AggregateError (a connect that tried several addresses) and wrapped causes.
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnavailableError)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isDatabaseUnavailableError(cause);
}
