import type { DomainErrorKind } from '../../../libs/domain/src';

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

export function validationFailed(message: string, field?: string): ApiError {
  return new ApiError(400, 'validation_failed', message, field);
}
