import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import type { LogLevel } from './server-configuration';

/** A request id a client (or a proxy) may choose: short, printable, no separator that could forge a log field. */
const GIVEN_REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * Defence in depth: the serializers below already log no header, but should a header object
 * ever reach a line (an error carrying a request), these paths are censored.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers["x-api-key"]', 'headers.authorization', 'headers.cookie', '*.secret', 'secret',
];

/** The request id: the client's `X-Request-Id` when it is a plain token, else a new UUID; echoed in the response. */
function requestIdOf(request: IncomingMessage, response: ServerResponse): string {
  const given = request.headers['x-request-id'];
  const requestId = typeof given === 'string' && GIVEN_REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, requestId);
  return requestId;
}

/**
 * JSON lines on standard output (written synchronously) through nestjs-pino (pino-http): one line when a request
 * completes (method, route path, status, time) and every line logged while it runs carry
 * the request's id (`req.id`): Nest's `Logger` instances log through the request's child
 * logger. Logged of a request: its id, method and URL path, never its headers (API keys,
 * Authorization, cookies) nor its body; of a response: its status.
 */
export function structuredLoggingModule(level: LogLevel): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: [{
      level,
      genReqId: requestIdOf,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      serializers: {
        req: (request: { id?: unknown; method?: unknown; url?: unknown }) => ({
          id: request.id,
          method: request.method,
          // The path only: a query string could carry what a client should not have put there.
          url: typeof request.url === 'string' ? request.url.split('?')[0] : undefined,
        }),
        res: (response: { statusCode?: unknown }) => ({ statusCode: response.statusCode }),
      },
      // Probes and scrapes every few seconds would drown the log: no completion line for them.
      autoLogging: { ignore: (request) => /^\/(health(\/live|\/ready)?|metrics)$/.test((request.url ?? '').split('?')[0]!) && true },
      customLogLevel: (_request, response, error) => (error !== undefined || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info'),
    },
    // Synchronous writes, as Nest's own logger made them: a line is out before the next
    // statement (the start-up warnings before "listening on"), and none is lost when
    // `serve` exits right after its graceful stop.
    pino.destination({ dest: 1, sync: true })],
  });
}
