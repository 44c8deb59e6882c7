import { Injectable, type ArgumentMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { validationFailed } from './api-error';

/** Keys that would change an object's prototype when copied onto a class instance. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The path and message of the first failing constraint, depth first. */
function firstFailure(error: ValidationError, parentPath: string | undefined): { field: string; message: string } {
  const field = parentPath === undefined ? error.property : `${parentPath}.${error.property}`;
  const constraints = error.constraints === undefined ? [] : Object.values(error.constraints);
  if (constraints.length > 0) return { field, message: constraints[0]! };
  const child = error.children?.[0];
  if (child !== undefined) return firstFailure(child, field);
  return { field, message: `${field}: invalid` };
}

/**
 * Validates bodies and query strings against their class-validator DTO: only the declared
 * properties are allowed (an unknown one is refused, never silently dropped), no implicit
 * type conversion, and the first failure is answered as `validation_failed` naming its field.
 */
@Injectable()
export class StrictValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if ((metadata.type !== 'body' && metadata.type !== 'query') || metatype === undefined || !isDtoClass(metatype)) return value;
    const where = metadata.type === 'body' ? 'the body' : 'the query string';
    if (value === undefined && metadata.type === 'body') throw validationFailed('a JSON object body is required');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw validationFailed(`${where} must be a JSON object`);
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw validationFailed(`${key}: unknown field`, key);
    }
    const instance = plainToInstance(metatype, value, { enableImplicitConversion: false }) as object;
    const errors = await validate(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    });
    if (errors.length > 0) {
      const failure = firstFailure(errors[0]!, undefined);
      const message = failure.message.startsWith('property ') && failure.message.endsWith(' should not exist')
        ? `${failure.field}: unknown field`
        : failure.message;
      throw validationFailed(message, failure.field);
    }
    return instance;
  }
}

/** The metatypes Nest reports for parameters that have no DTO class (nothing to validate against). */
const NOT_DTO_METATYPES: readonly unknown[] = [String, Boolean, Number, Array, Object];

function isDtoClass(metatype: Type<unknown>): boolean {
  return !NOT_DTO_METATYPES.includes(metatype);
}
