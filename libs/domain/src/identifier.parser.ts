/**
 * Identifiers and free texts taken from commands. Ids become parts of stream names and of
 * party names (`developer:<id>`), so their alphabet and length are bounded.
 */
import { FieldInvalid } from './domain.errors';
import { IDENTIFIER_LENGTH_MAXIMUM } from './limits/ledger-limits';

export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
// Control characters are refused in texts because they break CSV and statements.
// eslint-disable-next-line no-control-regex -- matching C0 controls and DEL is this pattern's purpose (\p{Cc} would also take U+0080-U+009F)
const CONTROL_CHARACTER_PATTERN = /[\u0000-\u001f\u007f]/;

export function parseIdentifier(input: unknown, field: string): string {
  if (typeof input !== 'string' || input.length === 0) throw new FieldInvalid(field, 'a non-empty identifier string is required');
  if (input.length > IDENTIFIER_LENGTH_MAXIMUM) throw new FieldInvalid(field, `at most ${IDENTIFIER_LENGTH_MAXIMUM} characters`);
  if (!IDENTIFIER_PATTERN.test(input)) throw new FieldInvalid(field, 'letters, digits and _ . : @ - only, starting with a letter or digit');
  return input;
}

/** A free text; `lengthMaximum` is the limit of its concept (NAME_LENGTH_MAXIMUM, REASON_LENGTH_MAXIMUM, …). */
export function parseText(input: unknown, field: string, lengthMaximum: number): string {
  if (typeof input !== 'string' || input.trim().length === 0) throw new FieldInvalid(field, 'a non-empty string is required');
  if (input.length > lengthMaximum) throw new FieldInvalid(field, `at most ${lengthMaximum} characters`);
  if (CONTROL_CHARACTER_PATTERN.test(input)) throw new FieldInvalid(field, 'control characters are not allowed');
  return input;
}

export function parseOptionalText(input: unknown, field: string, lengthMaximum: number): string | null {
  if (input === undefined || input === null) return null;
  return parseText(input, field, lengthMaximum);
}
