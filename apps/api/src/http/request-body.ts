import type { NextFunction, Request, RequestHandler, Response } from 'express';
import getRawBody from 'raw-body';
import { readStrictJson, StrictJsonRefused } from '@rsi/ledger';
import { ApiError } from './api-error';

export type RequestWithRawBody = Request & { rawBody?: Buffer };

/** The one media type of a body; RFC 8259 §8.1: JSON exchanged between systems is UTF-8. */
const JSON_MEDIA_TYPE = 'application/json';

/**
 * `application/json`, with no parameter or only `charset=utf-8` (names and values compared
 * without case, the value may be quoted). Everything else is refused, `+json` suffixes
 * (`application/merge-patch+json`) included: their semantics are not those of our bodies.
 */
export function isAcceptedJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType, ...parameters] = contentType.split(';');
  if (mediaType!.trim().toLowerCase() !== JSON_MEDIA_TYPE) return false;
  return parameters.every((parameter) => {
    if (parameter.trim() === '') return true;
    const equals = parameter.indexOf('=');
    if (equals < 0) return false;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    let value = parameter.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return name === 'charset' && value.toLowerCase() === 'utf-8';
  });
}

/** A request carries a body when it is chunked or announces a non-zero length (RFC 9112 §6.3). */
function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const contentLength = request.headers['content-length'];
  return contentLength !== undefined && contentLength !== '0';
}

function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'unsupported_media_type', message);
}

/** Maps raw-body's error types to the API's error codes; anything else stays a 500. */
function rawBodyErrorToApiError(error: getRawBody.RawBodyError): unknown {
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(413, 'body_too_large', `the body is larger than ${error.limit ?? 'the limit'} bytes`);
    case 'request.aborted':
    case 'request.size.invalid':
      return new ApiError(400, 'body_incomplete', 'the body ended before its announced length');
    default:
      return error;
  }
}

/** The body's bytes read strictly (libs/ledger/src/input/strict-json.reader.ts) as an API error on refusal. */
function parseBody(bytes: Buffer, bodyLimitBytes: number): unknown {
  let value: unknown;
  try {
    value = readStrictJson(bytes, { bytesMaximum: bodyLimitBytes });
  } catch (error) {
    if (!(error instanceof StrictJsonRefused)) throw error;
    if (error.code === 'json_too_large') throw new ApiError(413, 'body_too_large', error.message);
    throw new ApiError(400, error.code, error.message, error.field);
  }
  if (typeof value !== 'object' || value === null) {
    throw new ApiError(400, 'malformed_json', 'the body must be a JSON object (or array), not a JSON scalar');
  }
  return value;
}

/**
 * Reads off the rest of a refused body before answering, so that the client, still sending,
 * reads the answer instead of a reset connection (as body-parser does). Node's request timeout
 * bounds how long a client can keep sending.
 */
function discardBodyThen(request: Request, then: () => void): void {
  if (request.complete || request.destroyed) {
    then();
    return;
  }
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    then();
  };
  request.once('end', once);
  request.once('close', once);
  request.resume();
}

/**
 * The body parser, ours rather than Nest's or express.json, because what it accepts is part of
 * the ledger's contract: only `application/json` in UTF-8, no content coding, at most
 * `bodyLimitBytes` (413 beyond), and JSON read by the strict reader shared with the JSONL
 * import (invalid UTF-8, duplicate keys, deep nesting, lone surrogates and control
 * characters are 400s that name the field, never a 500 further in). The raw bytes are kept
 * for the Idempotency-Key request hash, which must not depend on how JSON is re-serialised.
 * A request without a body (GET, or `Content-Length: 0`) passes with `body` undefined.
 */
export function jsonBodyParser(bodyLimitBytes: number): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    if (!hasBody(request) || (request as RequestWithRawBody).rawBody !== undefined) {
      next();
      return;
    }
    if (!isAcceptedJsonMediaType(request.headers['content-type'])) {
      discardBodyThen(request, () => next(unsupportedMediaType('the body must be sent as Content-Type: application/json (UTF-8)')));
      return;
    }
    const contentEncoding = request.headers['content-encoding'];
    if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') {
      discardBodyThen(request, () => next(unsupportedMediaType('the body must not be compressed (no Content-Encoding)')));
      return;
    }
    getRawBody(request, { length: request.headers['content-length'], limit: bodyLimitBytes }, (error, bytes) => {
      if (error) {
        discardBodyThen(request, () => next(rawBodyErrorToApiError(error)));
        return;
      }
      (request as RequestWithRawBody).rawBody = bytes;
      if (bytes.length === 0) {
        next();
        return;
      }
      try {
        request.body = parseBody(bytes, bodyLimitBytes);
      } catch (refusal) {
        next(refusal);
        return;
      }
      next();
    });
  };
}

/** A statement with its proofs: far larger than a command, still bounded. */
export const STATEMENT_BODY_BYTES_MAXIMUM = 16 * 1024 * 1024;

/**
 * The body of `POST /v1/statements/verify`: a statement exactly as the API gave it, whose
 * texts hold line breaks (the seal's PEM key) that the strict reader of commands refuses. It
 * is read as plain JSON, up to `STATEMENT_BODY_BYTES_MAXIMUM`; the verifier checks every
 * field it uses, as it does for a file given to `verify-statement`. Mounted on that path only.
 */
export function statementBodyParser(): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    if (request.method !== 'POST' || !hasBody(request)) {
      next();
      return;
    }
    if (!isAcceptedJsonMediaType(request.headers['content-type'])) {
      discardBodyThen(request, () => next(unsupportedMediaType('the body must be sent as Content-Type: application/json (UTF-8)')));
      return;
    }
    getRawBody(request, { length: request.headers['content-length'], limit: STATEMENT_BODY_BYTES_MAXIMUM }, (error, bytes) => {
      if (error) {
        discardBodyThen(request, () => next(rawBodyErrorToApiError(error)));
        return;
      }
      (request as RequestWithRawBody).rawBody = bytes;
      try {
        request.body = JSON.parse(bytes.toString('utf8')) as unknown;
      } catch {
        next(new ApiError(400, 'malformed_json', 'the body is not a JSON statement'));
        return;
      }
      next();
    });
  };
}

/** `text/csv`, with no parameter or only `charset=utf-8` (as isAcceptedJsonMediaType, for CSV). */
export function isAcceptedCsvMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType, ...parameters] = contentType.split(';');
  if (mediaType!.trim().toLowerCase() !== 'text/csv') return false;
  return isAcceptedJsonMediaType(['application/json', ...parameters].join(';'));
}

/**
 * The body of `POST /v1/reconciliations/payouts`: a provider's payout report, `text/csv` in
 * UTF-8, at most `bytesMaximum` (PAYOUT_REPORT_BYTES_MAXIMUM, 413 beyond), uncompressed. The
 * bytes are kept as they came (`request.body` is the Buffer): the report parser checks the
 * UTF-8 and every line. Mounted on that path only, before the JSON parser (which then passes).
 */
export function csvBodyParser(bytesMaximum: number): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    if (request.method !== 'POST' || !hasBody(request)) {
      next();
      return;
    }
    // Another media type goes on to the JSON parser: the route's key is checked first (401/403),
    // then the route answers 415 for a body that is not CSV.
    if (!isAcceptedCsvMediaType(request.headers['content-type'])) {
      next();
      return;
    }
    const contentEncoding = request.headers['content-encoding'];
    if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') {
      discardBodyThen(request, () => next(unsupportedMediaType('the body must not be compressed (no Content-Encoding)')));
      return;
    }
    getRawBody(request, { length: request.headers['content-length'], limit: bytesMaximum }, (error, bytes) => {
      if (error) {
        discardBodyThen(request, () => next(rawBodyErrorToApiError(error)));
        return;
      }
      (request as RequestWithRawBody).rawBody = bytes;
      request.body = bytes;
      next();
    });
  };
}
