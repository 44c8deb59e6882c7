/**
 * CSV per RFC 4180, with one more rule for spreadsheets: a cell that begins with `=`, `+`,
 * `-`, `@`, a tab or a carriage return could be read as a formula, so it is prefixed with
 * a single quote. Plain decimal numbers ("-12.50") are left as they are: a spreadsheet
 * reads them as numbers, never as formulas, and finance needs them as numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text) && !PLAIN_DECIMAL.test(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) text = `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function csvRow(values: readonly (string | number | null | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
