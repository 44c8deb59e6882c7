import type { DomainErrorKind } from '@rsi/domain';

/** The JSON body of every error response. */
export type ErrorBody = { statusCode: number; code: string; message: string; field?: string };

/** An error the API answers with exactly this status, code, message and field. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return this.field === undefined
      ? { statusCode: this.statusCode, code: this.code, message: this.message }
      : { statusCode: this.statusCode, code: this.code, message: this.message, field: this.field };
  }
}

export const STATUS_OF_DOMAIN_ERROR_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
};

/**
 * Seconds a client should wait before retrying a request answered 503 because the database
 * is unavailable (the `Retry-After` header). A fast restart of PostgreSQL takes a few seconds;
 * the pool opens new connections as soon as the server answers, so the first retry after
 * this delay usually succeeds, and a client that keeps the delay does not hammer the server.
 */
export const DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The answer to a request that met a database outage: retry later, the same request is safe to retry. */
export function databaseUnavailable(): ApiError {
  return new ApiError(503, 'database_unavailable', `the database is unavailable; retry in ${DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS} s (Retry-After)`);
}

/** Seconds before retrying a command whose streams other writers kept changing (`write_contention`). */
export const WRITE_CONTENTION_RETRY_AFTER_SECONDS = 1;

/**
 * The answer to a command whose batch met concurrent writers on the same streams more often
 * than its retries allow (several API instances writing one developer's stream at once):
 * nothing of it was written; the same request is safe to send again.
 */
export function writeContention(): ApiError {
  return new ApiError(503, 'write_contention', `other writers kept changing the same streams; nothing was written; retry in ${WRITE_CONTENTION_RETRY_AFTER_SECONDS} s (Retry-After)`);
}

export function validationFailed(message: string, field?: string): ApiError {
  return new ApiError(400, 'validation_failed', message, field);
}
