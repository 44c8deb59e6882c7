import type { ArgumentsHost } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { StreamVersionConflictError } from '@rsi/event-store';
import { WriteContentionError } from '@rsi/ledger';
import { DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS, WRITE_CONTENTION_RETRY_AFTER_SECONDS } from './api-error';
import { ApiExceptionFilter } from './api-exception.filter';

type Answered = { statusCode: number | null; headers: Record<string, string>; body: unknown };

/** The filter's answer to one exception, through the parts of an Express response it uses. */
function answerOf(exception: unknown): Answered {
  const answered: Answered = { statusCode: null, headers: {}, body: undefined };
  const response = {
    headersSent: false,
    setHeader(name: string, value: string) { answered.headers[name.toLowerCase()] = value; return response; },
    status(statusCode: number) { answered.statusCode = statusCode; return response; },
    json(body: unknown) { answered.body = body; return response; },
    destroy() { throw new Error('not expected: the headers were not sent'); },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return answered;
}

describe('ApiExceptionFilter and database outages', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a connection that died', new Error('Connection terminated unexpectedly')],
    ['a server shutting down, through TypeORM', new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))],
    ['a server starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a write that reached a standby (mid-failover)', Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' })],
  ])('answers %s with 503 database_unavailable and Retry-After', (_name, exception) => {
    const answered = answerOf(exception);
    expect(answered.statusCode).toBe(503);
    expect(answered.headers['retry-after']).toBe(String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
    expect(answered.body).toEqual({ statusCode: 503, code: 'database_unavailable', message: expect.stringContaining('Retry-After') });
    // No internal detail (the driver's message) reaches the client.
    expect(JSON.stringify(answered.body)).not.toMatch(/ECONNREFUSED|terminat|starting up/);
  });

  it('still answers an error caused by the statement with 500, without Retry-After', () => {
    const answered = answerOf(new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })));
    expect(answered.statusCode).toBe(500);
    expect(answered.headers['retry-after']).toBeUndefined();
    expect(answered.body).toEqual({ statusCode: 500, code: 'internal_error', message: 'internal error; it has been logged' });
  });

  it('answers a conflict that outlived its retries with 503 write_contention and Retry-After, never 500', () => {
    const answered = answerOf(new WriteContentionError(new StreamVersionConflictError('developer-pat', 3n, 4n)));
    expect(answered.statusCode).toBe(503);
    expect(answered.headers['retry-after']).toBe(String(WRITE_CONTENTION_RETRY_AFTER_SECONDS));
    expect(answered.body).toEqual({ statusCode: 503, code: 'write_contention', message: expect.stringContaining('nothing was written') });
  });
});
