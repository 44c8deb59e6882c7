/**
 * The OpenAPI document (served at /docs-json) and the decorators that describe what every
 * route answers: its success body, the error body `{statusCode, code, message, field?}` for
 * each status it can give, its security and the Idempotency-Key header where honoured.
 */
import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiResponse, DocumentBuilder, SwaggerModule, type HeadersObject, type OpenAPIObject } from '@nestjs/swagger';
import { IDENTIFIER_LENGTH_MAXIMUM, IDENTIFIER_PATTERN } from '@rsi/domain';
import { ErrorResponseDto } from './api-responses.dto';
import { IDEMPOTENCY_KEY_LENGTH_MAXIMUM, IDEMPOTENCY_KEY_PATTERN } from './idempotency-key.store';
import { schemaNamesRefusingUnknownProperties } from './openapi-patterns';

/** The name of the X-Api-Key security scheme in the document. */
export const API_KEY_SECURITY = 'api-key';

export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

const ERROR_DESCRIPTION_OF_STATUS: Record<ErrorStatus, string> = {
  400: 'validation_failed (the first failing field is in `field`), malformed_json, idempotency_key_invalid, or a domain refusal of kind invalid (e.g. amount_too_many_decimals, instant_malformed, contract_invalid).',
  401: 'unauthenticated: API keys are configured and X-Api-Key is missing or not valid.',
  404: 'An id the request refers to is unknown.',
  409: 'A domain refusal of kind conflict (duplicate id with other content, over-refund, payout above available…).',
  413: 'body_too_large: the body is over the limit (64 KiB by default).',
  415: 'unsupported_media_type: the body is not application/json in UTF-8.',
  422: 'idempotency_key_reused: the Idempotency-Key was used with another method, path or body; command_not_storable: the database refused the command\'s data (nothing of it was written, the rest of its group commit was).',
  500: 'internal_error: logged on the server; no detail in the response.',
  503: 'database_unavailable (with Retry-After): the database could not be reached; retry the same command (commands are idempotent by their ids). write_contention (commands, with Retry-After): other writers kept changing the same stream; nothing was written; retry. projection_halted (reads): the answer depends on an event a projection could not apply; the message names it.',
};

/** Error statuses of every POST that runs a command. */
export const COMMAND_ERROR_STATUSES: readonly ErrorStatus[] = [400, 401, 404, 409, 413, 415, 422, 500, 503];
/** Error statuses of every GET behind the API key. */
export const READ_ERROR_STATUSES: readonly ErrorStatus[] = [400, 401, 404, 500, 503];

/** One error response per status, each with the error body schema. */
export function ErrorResponses(statuses: readonly ErrorStatus[], descriptions: Partial<Record<ErrorStatus, string>> = {}) {
  return applyDecorators(...statuses.map((status) => ApiResponse({
    status,
    type: ErrorResponseDto,
    description: descriptions[status] ?? ERROR_DESCRIPTION_OF_STATUS[status],
  })));
}

/** The optional Idempotency-Key request header of the POST endpoints. */
export function IdempotencyKeyHeader() {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retry with the same key (per actor) and the same method, path and body replays the stored response with Idempotent-Replayed: true.',
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_LENGTH_MAXIMUM, pattern: IDEMPOTENCY_KEY_PATTERN.source },
  });
}

/** The response header sent with a replayed response. */
export const IDEMPOTENT_REPLAYED_HEADER: HeadersObject = {
  'Idempotent-Replayed': { description: 'Present, with the value true, when the response is the replay of a stored one.', schema: { type: 'string', enum: ['true'] } },
};

/** A path parameter holding an id: the same rules as ids in bodies. */
export function IdentifierPathParameter(name: string, description: string) {
  return ApiParam({
    name,
    description,
    schema: { type: 'string', minLength: 1, maxLength: IDENTIFIER_LENGTH_MAXIMUM, pattern: IDENTIFIER_PATTERN.source },
  });
}

/**
 * The document of the application's routes. Schemas of DTOs that refuse unknown properties
 * are closed (`additionalProperties: false`), as their validation is.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('RSI Ledger')
    .setDescription([
      'Event-sourced revenue-split ledger.',
      'Amounts are decimal strings in major units, never JSON numbers; rates are percent strings; instants are RFC 3339 strings.',
      'The patterns in this document are those of the server\'s parsers; the server also checks what a pattern cannot',
      '(a currency\'s decimals, a rate at most 100%, a date that exists).',
      'Errors: {statusCode, code, message, field?}.',
    ].join(' '))
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, API_KEY_SECURITY)
    .build());
  const schemas = document.components?.schemas ?? {};
  for (const name of schemaNamesRefusingUnknownProperties()) {
    const schema = schemas[name];
    if (schema === undefined || '$ref' in schema) throw new Error(`buildOpenApiDocument: no schema ${name} to close`);
    schema.additionalProperties = false;
  }
  return document;
}
