import { IDENTIFIER_LENGTH_MAXIMUM, IDENTIFIER_PATTERN } from '@rsi/domain';
import { validationFailed } from './api-error';

/** Path ids obey the same rules as ids in bodies. */
export function identifierParameter(value: string, name: string): string {
  if (value.length === 0 || value.length > IDENTIFIER_LENGTH_MAXIMUM) {
    throw validationFailed(`${name}: 1 to ${IDENTIFIER_LENGTH_MAXIMUM} characters`, name);
  }
  if (!IDENTIFIER_PATTERN.test(value)) {
    throw validationFailed(`${name}: letters, digits and _ . : @ - only, starting with a letter or digit`, name);
  }
  return value;
}
