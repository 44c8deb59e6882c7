import {
  JSON_ARRAY_ITEMS_MAXIMUM, JSON_DEPTH_MAXIMUM, JSON_OBJECT_KEYS_MAXIMUM, readStrictJson, StrictJsonRefused, type StrictJsonRefusalCode,
} from './strict-json.reader';

const BYTES_MAXIMUM = 16 * 1024 * 1024;

const read = (input: string | Buffer): unknown => readStrictJson(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, { bytesMaximum: BYTES_MAXIMUM });

function refusalOf(input: string | Buffer): StrictJsonRefused {
  try {
    read(input);
  } catch (error) {
    if (error instanceof StrictJsonRefused) return error;
    throw error;
  }
  throw new Error(`accepted: ${String(input)}`);
}

function expectRefused(input: string | Buffer, code: StrictJsonRefusalCode, field?: string): StrictJsonRefused {
  const refusal = refusalOf(input);
  expect({ code: refusal.code, field: refusal.field, kind: refusal.kind }).toEqual({ code, field, kind: 'invalid' });
  return refusal;
}

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('readStrictJson', () => {
  describe('accepts RFC 8259 JSON', () => {
    it.each([
      '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
      ' \t\r\n{ "a" : [ ] , "b" : { } } \r\n',
      '[-0, 0.5, 1e3, -1.25E-2, 12345678901234567890]',
      '"a top-level string"',
      '{"escapes":"\\" \\\\ \\/ \\u00e9 \\u20AC"}',
    ])('%s like JSON.parse', (text) => {
      expect(read(text)).toEqual(JSON.parse(text));
    });

    it('keeps "__proto__" as an own key, never as the prototype', () => {
      const value = read('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('keeps numbers as numbers (money as a JSON number is refused later, by the command shape)', () => {
      expect(read('{"amount":19.99}')).toEqual({ amount: 19.99 });
    });

    it('accepts a surrogate pair, raw or escaped (an emoji)', () => {
      expect(read('{"name":"Ada 😀"}')).toEqual({ name: 'Ada 😀' });
      expect(read('{"name":"Ada \\ud83d\\ude00"}')).toEqual({ name: 'Ada 😀' });
    });
  });

  describe('refuses what is not strict JSON', () => {
    it.each([
      ['', undefined], ['   ', undefined], ['{"a":1,}', undefined], ['[1,]', '[1]'], ['{"a":1} // comment', undefined],
      ['/* c */ {}', undefined], ['{"a":NaN}', 'a'], ['{"a":Infinity}', 'a'], ["{'a':1}", undefined], ['{a:1}', undefined],
      ['{"a":01}', 'a'], ['{"a":1.}', 'a'], ['{"a":.5}', 'a'], ['{"a":+1}', 'a'], ['{"a":1e}', 'a'], ['{"a":1e999}', 'a'],
      ['{"a":"x\\q"}', 'a'], ['{"a":"\\u12"}', 'a'], ['{"a":"unclosed', 'a'], ['{"a":1}{"b":2}', undefined], ['{"a" 1}', 'a'],
      ['[1 2]', '[0]'], ['{"a":tru}', 'a'], ['{"a":"tab\there"}', 'a'], ['{"a":"line\nbreak"}', 'a'],
    ])('%j', (text, field) => {
      expectRefused(text, 'malformed_json', field);
    });

    it('refuses a byte order mark', () => {
      expectRefused(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), 'malformed_json');
    });

    it('refuses input over the byte limit before decoding it', () => {
      const refusal = (() => {
        try {
          readStrictJson(Buffer.from('{"a":"0123456789"}'), { bytesMaximum: 10 });
        } catch (error) {
          return error as StrictJsonRefused;
        }
        throw new Error('accepted');
      })();
      expect(refusal.code).toBe('json_too_large');
    });
  });

  describe('refuses invalid UTF-8', () => {
    it.each([
      ['a stray continuation byte', [0x80]],
      ['a truncated two-byte sequence', [0xc3]],
      ['an invalid continuation byte', [0xc3, 0x28]],
      ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
      ['an overlong three-byte NUL (E0 80 80)', [0xe0, 0x80, 0x80]],
      ['an encoded lone surrogate U+D800 (ED A0 80)', [0xed, 0xa0, 0x80]],
      ['a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
      ['the byte FF', [0xff]],
    ])('%s inside a string', (_name, bytes) => {
      expectRefused(Buffer.concat([Buffer.from('{"name":"x'), Buffer.from(bytes), Buffer.from('"}')]), 'invalid_utf8');
    });
  });

  describe('refuses strings that are not text, naming the field path', () => {
    it.each([
      ['a lone high surrogate', '{"name":"x\\ud800"}', 'name'],
      ['a lone high surrogate at the end of a string followed by text', '{"name":"\\ud800x"}', 'name'],
      ['a lone low surrogate', '{"name":"\\udc00"}', 'name'],
      ['a reversed pair', '{"name":"\\ude00\\ud83d"}', 'name'],
      ['NUL', '{"name":"a\\u0000b"}', 'name'],
      ['an escaped tab', '{"reference":"a\\tb"}', 'reference'],
      ['an escaped newline', '{"reason":"a\\nb"}', 'reason'],
      ['an escaped carriage return', '{"reason":"a\\rb"}', 'reason'],
      ['U+001F', '{"name":"\\u001f"}', 'name'],
      ['DEL U+007F', '{"name":"a\u007fb"}', 'name'],
      ['C1 U+0085', '{"name":"a\u0085b"}', 'name'],
      ['C1 U+009F escaped', '{"name":"\\u009F"}', 'name'],
      ['a deep value', '{"contract":{"carveOuts":[{"party":"ok"},{"party":"x\\ud800"}]}}', 'contract.carveOuts[1].party'],
      ['an item of a top-level array', '["ok","\\u0000"]', '[1]'],
    ])('%s', (_name, text, field) => {
      expectRefused(text, 'invalid_text', field);
    });

    it('refuses an invalid key, naming it escaped', () => {
      const refusal = expectRefused('{"contract":{"x\\ud800":1}}', 'invalid_text', 'contract["x\\ud800"]');
      expect(refusal.message).toMatch(/lone surrogate U\+D800/);
    });

    it('refuses a top-level string that is not text, with no field', () => {
      expectRefused('"\\ud800"', 'invalid_text', undefined);
    });

    it('accepts U+00A0 and U+00A1 (just past the C1 controls) and U+007E (just before DEL)', () => {
      expect(read('{"name":"~\u00a0\u00a1"}')).toEqual({ name: '~\u00a0\u00a1' });
    });
  });

  describe('refuses duplicate keys', () => {
    it('at the top level', () => {
      expectRefused('{"amount":"1.00","amount":"2.00"}', 'duplicate_key', 'amount');
    });

    it('nested, naming the path', () => {
      expectRefused('{"contract":{"platformShare":{"tiers":[{"rate":"1%","rate":"2%"}]}}}', 'duplicate_key', 'contract.platformShare.tiers[0].rate');
    });

    it('written with different escapes of the same key', () => {
      expectRefused('{"amount":"1.00","\\u0061mount":"2.00"}', 'duplicate_key', 'amount');
    });

    it('but not the same key in sibling objects', () => {
      expect(read('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
    });
  });

  describe('bounds the structure', () => {
    it(`accepts nesting of exactly ${JSON_DEPTH_MAXIMUM} levels and refuses one more`, () => {
      expect(read(nested(JSON_DEPTH_MAXIMUM))).toBeDefined();
      expectRefused(nested(JSON_DEPTH_MAXIMUM + 1), 'nesting_too_deep', '[0]'.repeat(JSON_DEPTH_MAXIMUM));
    });

    it('counts objects and arrays alike, and names the path', () => {
      const depth = JSON_DEPTH_MAXIMUM;
      const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      expect(read(objects)).toBeDefined();
      const tooDeep = '{"a":'.repeat(depth) + '[1]' + '}'.repeat(depth);
      const refusal = expectRefused(tooDeep, 'nesting_too_deep', `a${'.a'.repeat(depth - 1)}`);
      expect(refusal.message).toMatch(/at most 32/);
    });

    it('refuses 100,000 levels without overflowing the stack', () => {
      expectRefused(nested(100_000), 'nesting_too_deep', '[0]'.repeat(JSON_DEPTH_MAXIMUM));
      expectRefused('{"a":'.repeat(100_000), 'nesting_too_deep', `a${'.a'.repeat(JSON_DEPTH_MAXIMUM - 1)}`);
    });

    it(`accepts ${JSON_OBJECT_KEYS_MAXIMUM} keys in an object and refuses one more`, () => {
      const keys = (count: number) => `{"meters":{${Array.from({ length: count }, (_, index) => `"m${index}":1`).join(',')}}}`;
      expect(Object.keys((read(keys(JSON_OBJECT_KEYS_MAXIMUM)) as { meters: object }).meters)).toHaveLength(JSON_OBJECT_KEYS_MAXIMUM);
      expectRefused(keys(JSON_OBJECT_KEYS_MAXIMUM + 1), 'too_many_keys', 'meters');
    });

    it(`accepts ${JSON_ARRAY_ITEMS_MAXIMUM} items in an array and refuses one more`, () => {
      const items = (count: number) => `{"records":[${Array.from({ length: count }, () => '0').join(',')}]}`;
      expect((read(items(JSON_ARRAY_ITEMS_MAXIMUM)) as { records: unknown[] }).records).toHaveLength(JSON_ARRAY_ITEMS_MAXIMUM);
      expectRefused(items(JSON_ARRAY_ITEMS_MAXIMUM + 1), 'too_many_items', 'records');
    });

    it('bounds the field path a hostile key can put in an error', () => {
      const longKey = 'k'.repeat(10_000);
      const refusal = expectRefused(`{"${longKey}":"\\u0000"}`, 'invalid_text', `[${JSON.stringify('k'.repeat(64) + '…')}]`);
      expect(refusal.message.length).toBeLessThan(400);
    });
  });
});
