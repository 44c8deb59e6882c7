/**
 * One value in PostgreSQL's COPY text format: backslash, newline, carriage return and tab
 * are escaped, and null is `\N`. Shared by the event store's COPY append and the
 * projections' COPY of read-model rows, so that both escape exactly alike.
 */
const COPY_TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const COPY_TEXT_SPECIAL = /[\\\n\r\t]/;
const COPY_TEXT_SPECIAL_ALL = /[\\\n\r\t]/g;

export function copyTextValue(value: string | number | null): string {
  if (value === null) return '\\N';
  const text = typeof value === 'string' ? value : String(value);
  return COPY_TEXT_SPECIAL.test(text) ? text.replace(COPY_TEXT_SPECIAL_ALL, (character) => COPY_TEXT_ESCAPES[character]!) : text;
}
