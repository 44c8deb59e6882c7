import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isBlankLine, readJsonlLines, type JsonlLine } from './jsonl-line.reader';

describe('readJsonlLines', () => {
  let directory: string;

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-jsonl-lines-'));
  });

  afterAll(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  async function linesOf(content: Buffer, lineBytesMaximum: number): Promise<JsonlLine[]> {
    const filePath = path.join(directory, `file-${Math.random().toString(16).slice(2)}.jsonl`);
    fs.writeFileSync(filePath, content);
    const lines: JsonlLine[] = [];
    for await (const line of readJsonlLines(filePath, { lineBytesMaximum })) lines.push({ ...line, bytes: line.bytes === null ? null : Buffer.from(line.bytes) });
    return lines;
  }

  it('splits on LF as bytes, keeps a CR and invalid UTF-8 in the line, and counts an unterminated last line', async () => {
    const lines = await linesOf(Buffer.concat([Buffer.from('a\r\n\nb'), Buffer.from([0xff]), Buffer.from('\nlast')]), 100);
    expect(lines.map((line) => [line.lineNumber, line.bytes?.toString('latin1'), line.byteLength])).toEqual([
      [1, 'a\r', 2], [2, '', 0], [3, 'b\u00ff', 2], [4, 'last', 4],
    ]);
  });

  it('yields no line for an empty file or after a final line feed', async () => {
    expect(await linesOf(Buffer.alloc(0), 100)).toEqual([]);
    expect((await linesOf(Buffer.from('x\n'), 100)).map((line) => line.lineNumber)).toEqual([1]);
  });

  it('joins lines across read chunks, and drops the bytes of a line over the limit but counts it', async () => {
    const long = 'y'.repeat(3 * 1024 * 1024);
    const lineAcrossChunks = 'z'.repeat(1024 * 1024 + 10);
    const lines = await linesOf(Buffer.from(`${lineAcrossChunks}\n${long}\nafter`), 2 * 1024 * 1024);
    expect(lines.map((line) => [line.lineNumber, line.bytes === null ? null : line.bytes.length, line.byteLength])).toEqual([
      [1, lineAcrossChunks.length, lineAcrossChunks.length], [2, null, long.length], [3, 5, 5],
    ]);
    expect(lines[0]!.bytes!.toString('latin1')).toBe(lineAcrossChunks);
  });

  it('takes a line of JSON whitespace only as blank', () => {
    expect(isBlankLine(Buffer.from(' \t\r'))).toBe(true);
    expect(isBlankLine(Buffer.alloc(0))).toBe(true);
    expect(isBlankLine(Buffer.from('\u00a0'))).toBe(false);
    expect(isBlankLine(Buffer.from(' {} '))).toBe(false);
  });
});
