import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ApiError } from './api-error';

export type RequestWithRawBody = Request & { rawBody?: Buffer };

const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

/** Maps body-parser's error types to the API's error codes. */
function bodyParserErrorToApiError(error: unknown): unknown {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  switch (type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'the body is not valid JSON (an object or array is required at the top level)');
    case 'entity.too.large': {
      const limit = (error as { limit?: unknown }).limit;
      return new ApiError(413, 'body_too_large', `the body is larger than ${typeof limit === 'number' ? `${limit} bytes` : 'the limit'}`);
    }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_media_type', 'the body must be JSON in UTF-8');
    case 'request.aborted':
    case 'request.size.invalid':
      return new ApiError(400, 'body_incomplete', 'the body ended before its announced length');
    default:
      return error;
  }
}

/**
 * The JSON body parser, configured here rather than by Nest so that its limit and
 * strictness are ours and its errors reach the exception filter as `ApiError`s (Nest
 * would turn a parse failure into an anonymous 400). The raw bytes are kept for the
 * Idempotency-Key request hash, which must not depend on how the JSON is re-serialised.
 */
export function jsonBodyParser(bodyLimitBytes: number): RequestHandler {
  const parser = express.json({
    limit: bodyLimitBytes,
    strict: true,
    type: JSON_MEDIA_TYPES,
    verify: (request, _response, buffer) => {
      (request as RequestWithRawBody).rawBody = buffer;
    },
  });
  return (request: Request, response: Response, next: NextFunction) => {
    const hasBody = request.is(JSON_MEDIA_TYPES);
    // `is` answers null without a body and false for a body of another media type.
    if (hasBody === false) {
      next(new ApiError(415, 'unsupported_media_type', 'the body must be sent as Content-Type: application/json'));
      return;
    }
    parser(request, response, (error?: unknown) => next(error === undefined ? undefined : bodyParserErrorToApiError(error)));
  };
}
