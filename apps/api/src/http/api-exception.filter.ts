import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '@rsi/domain';
import { isDatabaseUnavailableError } from '@rsi/database';
import { WriteContentionError } from '@rsi/ledger';
import {
  ApiError, DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS, databaseUnavailable, STATUS_OF_DOMAIN_ERROR_KIND, WRITE_CONTENTION_RETRY_AFTER_SECONDS, writeContention, type ErrorBody,
} from './api-error';

/** Codes of the HTTP errors the framework itself raises (unknown route, wrong method…). */
const CODE_OF_HTTP_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'body_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
};

/** While the database is down every request fails: one log line per interval, with the count. */
const OUTAGE_LOG_INTERVAL_MILLISECONDS = 10_000;

/** Turns any error into a domain-shaped error body. */
export function errorBodyOf(exception: unknown): ErrorBody | null {
  if (exception instanceof ApiError) return exception.toBody();
  if (isDatabaseUnavailableError(exception)) return databaseUnavailable().toBody();
  if (exception instanceof WriteContentionError) return writeContention().toBody();
  if (exception instanceof DomainError) {
    const body: ErrorBody = { statusCode: STATUS_OF_DOMAIN_ERROR_KIND[exception.kind], code: exception.code, message: exception.message };
    if (exception.field !== undefined) body.field = exception.field;
    return body;
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    // 5xx HttpExceptions are ours (framework internals): they are answered as internal errors.
    if (statusCode >= 500) return null;
    const code = CODE_OF_HTTP_STATUS[statusCode] ?? `http_${statusCode}`;
    const message = statusCode === 404 ? 'no such route' : exception.message;
    return { statusCode, code, message };
  }
  return null;
}

/**
 * The one exception filter: every error leaves as `{statusCode, code, message, field?}`.
 * Unexpected errors are logged with their stack and answered with a generic 500, so that
 * no internal detail (SQL, paths, stack) reaches the client. A database outage is answered
 * 503 `database_unavailable` with `Retry-After`: the request may be sent again as it was.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');
  private outageAnswersNotLogged = 0;
  private outageLoggedAtMilliseconds: number | null = null;

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    let body = errorBodyOf(exception);
    if (body === null) {
      this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
      body = { statusCode: 500, code: 'internal_error', message: 'internal error; it has been logged' };
    }
    if (body.code === 'database_unavailable') this.noteOutageAnswer(exception);
    if (response.headersSent) {
      // A stream (an export) failed after its first bytes: the status is gone, so the
      // connection is cut to tell the client the body is incomplete.
      response.destroy();
      return;
    }
    if (body.code === 'database_unavailable') response.setHeader('Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
    if (body.code === 'write_contention') response.setHeader('Retry-After', String(WRITE_CONTENTION_RETRY_AFTER_SECONDS));
    // A held-back event may be another developer's: a developer key is told that its answer
    // waits, never which stream or event holds it (operators see them: projections status).
    if (body.code === 'projection_halted' && host.switchToHttp().getRequest<{ caller?: { role?: string } }>().caller?.role === 'developer') {
      body = { statusCode: body.statusCode, code: body.code, message: 'this answer depends on events a projection holds back; the platform\'s operators are told; retry later' };
    }
    response.status(body.statusCode).json(body);
  }

  private noteOutageAnswer(exception: unknown): void {
    this.outageAnswersNotLogged += 1;
    const nowMilliseconds = Date.now();
    if (this.outageLoggedAtMilliseconds !== null && nowMilliseconds - this.outageLoggedAtMilliseconds < OUTAGE_LOG_INTERVAL_MILLISECONDS) return;
    const cause = exception instanceof Error ? exception.message : String(exception);
    this.logger.warn(`the database is unavailable: ${this.outageAnswersNotLogged} request(s) answered 503 since the last such line (${cause})`);
    this.outageAnswersNotLogged = 0;
    this.outageLoggedAtMilliseconds = nowMilliseconds;
  }
}
