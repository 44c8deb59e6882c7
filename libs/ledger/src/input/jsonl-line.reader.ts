import { createReadStream } from 'node:fs';

const LINE_FEED = 0x0a;
/** Bytes read from the file at a time: large enough that a read covers thousands of lines. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * One line of a JSONL file as bytes, without its line feed. `bytes` is null when the line is
 * longer than the limit: its bytes were skipped, never held, and `byteLength` counts them.
 */
export type JsonlLine = { lineNumber: number; bytes: Buffer | null; byteLength: number };

/**
 * Splits a file into lines on LF (0x0A) as BYTES, so that each line is decoded (and invalid
 * UTF-8 refused) by the strict reader on its own, with its number. A CR before the LF stays in
 * the line: it is JSON whitespace, so CRLF files read the same as LF files. A last line without
 * a line feed is a line. Memory is bounded by `lineBytesMaximum` plus one read chunk, whatever
 * the file holds (a file with no line feed at all is one line that is too long).
 */
export async function* readJsonlLines(filePath: string, options: { lineBytesMaximum: number }): AsyncGenerator<JsonlLine> {
  let pieces: Buffer[] = [];
  let lineByteLength = 0;
  let lineNumber = 0;
  const takeLine = (): JsonlLine => {
    lineNumber += 1;
    const tooLong = lineByteLength > options.lineBytesMaximum;
    const bytes = tooLong ? null : pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, lineByteLength);
    const line = { lineNumber, bytes, byteLength: lineByteLength };
    pieces = [];
    lineByteLength = 0;
    return line;
  };
  const append = (piece: Buffer) => {
    lineByteLength += piece.length;
    // Past the limit the line's bytes are dropped: only its length is still counted.
    if (lineByteLength > options.lineBytesMaximum) pieces = [];
    else if (piece.length > 0) pieces.push(piece);
  };
  for await (const chunk of createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(LINE_FEED, start);
      if (end < 0) break;
      append(chunk.subarray(start, end));
      yield takeLine();
      start = end + 1;
    }
    if (start < chunk.length) append(chunk.subarray(start));
  }
  if (lineByteLength > 0) yield takeLine();
}

/** A line of JSON whitespace only (space, tab, CR) holds no command and is skipped. */
export function isBlankLine(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  }
  return true;
}
