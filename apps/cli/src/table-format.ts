/** Renders rows as an aligned text table; numbers (decimal strings) are right-aligned. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => /^-?[\d,]+(\.\d+)?%?$/.test(row[column]) || row[column] === ''));
  const renderRow = (cells: string[]) => cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [renderRow(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(renderRow)].join('\n');
}
