import { DomainError } from '@rsi/domain';

// ---- Structural limits of JSON input (HTTP bodies and JSONL import lines) -------------
// The byte size is bounded by the caller (the API's body limit, the import's line limit):
// these bound the shape, before anything deep is built, so that no input can overflow a
// stack (class-transformer, class-validator and canonical JSON all recurse per level) or
// make a later stage work per key or item without a bound.

/**
 * Containers nested in one another, the top-level object or array counting as 1. The deepest
 * command is a contract term inside a tier inside a contract inside the body (5); 32 leaves
 * room and equals the canonical-JSON depth limit of the domain, so whatever the reader
 * accepts can also be hashed.
 */
export const JSON_DEPTH_MAXIMUM = 32;
/** Keys of one object. The largest legitimate object is a price book's `meters` (at most 256). */
export const JSON_OBJECT_KEYS_MAXIMUM = 1_000;
/** Items of one array. The largest legitimate array is a consumption batch (at most 500 records). */
export const JSON_ARRAY_ITEMS_MAXIMUM = 1_000;
/** A field path in an error names at most this many characters (a hostile key may be 60 KiB). */
const FIELD_PATH_LENGTH_MAXIMUM = 200;
const KEY_IN_PATH_LENGTH_MAXIMUM = 64;

export type StrictJsonRefusalCode =
  | 'invalid_utf8'
  | 'malformed_json'
  | 'duplicate_key'
  | 'nesting_too_deep'
  | 'too_many_keys'
  | 'too_many_items'
  | 'invalid_text'
  | 'json_too_large';

/** A refusal of the input's bytes or JSON text, before any command is built from it. */
export class StrictJsonRefused extends DomainError {
  declare readonly code: StrictJsonRefusalCode;

  constructor(code: StrictJsonRefusalCode, message: string, field?: string) {
    super(code, 'invalid', message, field);
  }
}

// `fatal`: an invalid byte sequence (a stray continuation byte, an overlong form, an encoded
// surrogate, a truncated sequence) is refused instead of becoming U+FFFD in the ledger.
// `ignoreBOM`: the decoder keeps a leading U+FEFF, so that the reader sees and refuses it.
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads one JSON text from bytes, strictly: UTF-8 only (no byte order mark), RFC 8259 grammar
 * only (no comments, trailing commas, NaN, single quotes or leading zeros), no duplicate key,
 * at most `JSON_DEPTH_MAXIMUM` levels, `JSON_OBJECT_KEYS_MAXIMUM` keys per object and
 * `JSON_ARRAY_ITEMS_MAXIMUM` items per array, and every string (key or value) is text: no
 * lone surrogate and no control character (U+0000–U+001F, U+007F–U+009F; so no tab or
 * newline either: ids, names, references and reasons are one line).
 * Iterative: the depth of the input never becomes depth of the call stack.
 * Throws `StrictJsonRefused` naming the field path (`contract.carveOuts[0].party`) when
 * the refusal is inside a value.
 */
export function readStrictJson(bytes: Uint8Array, options: { bytesMaximum: number }): unknown {
  if (bytes.byteLength > options.bytesMaximum) {
    throw new StrictJsonRefused('json_too_large', `the JSON text is longer than ${options.bytesMaximum} bytes`);
  }
  let text: string;
  try {
    text = UTF8_DECODER.decode(bytes);
  } catch {
    throw new StrictJsonRefused('invalid_utf8', 'the text is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) {
    throw new StrictJsonRefused('malformed_json', 'a byte order mark (U+FEFF) is not allowed before the JSON text');
  }
  return new StrictJsonParser(text).parse();
}

/** `key`: the key whose value is being read; null between keys. */
type ObjectFrame = { kind: 'object'; value: Record<string, unknown>; keyCount: number; key: string | null };
type ArrayFrame = { kind: 'array'; value: unknown[]; index: number };
type Frame = ObjectFrame | ArrayFrame;

const CHARACTER_QUOTE = 0x22;
const CHARACTER_BACKSLASH = 0x5c;
const CHARACTER_COMMA = 0x2c;
const CHARACTER_COLON = 0x3a;
const CHARACTER_OBJECT_OPEN = 0x7b;
const CHARACTER_OBJECT_CLOSE = 0x7d;
const CHARACTER_ARRAY_OPEN = 0x5b;
const CHARACTER_ARRAY_CLOSE = 0x5d;
const CHARACTER_MINUS = 0x2d;
const CHARACTER_PLUS = 0x2b;
const CHARACTER_DOT = 0x2e;
const CHARACTER_ZERO = 0x30;
const CHARACTER_NINE = 0x39;

/** One parse of one text: an explicit stack of open containers, never recursion. */
class StrictJsonParser {
  private index = 0;
  private readonly stack: Frame[] = [];

  constructor(private readonly text: string) {}

  parse(): unknown {
    let expectingValue = true;
    let root: unknown;
    for (;;) {
      this.skipWhitespace();
      if (expectingValue) {
        const opened = this.openContainerOrReadScalar();
        if (opened === CONTAINER_OPENED) continue;
        if (opened === CONTAINER_CLOSED_EMPTY) {
          root = this.closeContainer();
        } else {
          root = this.deliver(opened.value);
        }
        expectingValue = false;
        continue;
      }
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) {
        if (this.index !== this.text.length) this.fail('malformed_json', 'unexpected text after the JSON value');
        return root;
      }
      const character = this.text.charCodeAt(this.index);
      if (character === CHARACTER_COMMA) {
        this.index += 1;
        this.skipWhitespace();
        if (frame.kind === 'object') this.readKey(frame);
        else this.startItem(frame, frame.index + 1);
        expectingValue = true;
      } else if (frame.kind === 'object' && character === CHARACTER_OBJECT_CLOSE) {
        this.index += 1;
        root = this.closeContainer();
      } else if (frame.kind === 'array' && character === CHARACTER_ARRAY_CLOSE) {
        this.index += 1;
        root = this.closeContainer();
      } else {
        this.fail('malformed_json', `expected ${frame.kind === 'object' ? '"," or "}"' : '"," or "]"'} ${this.where()}`);
      }
    }
  }

  /** Opens `{` or `[` (and reads the first key), or reads a string, number or literal. */
  private openContainerOrReadScalar(): typeof CONTAINER_OPENED | typeof CONTAINER_CLOSED_EMPTY | { value: unknown } {
    const character = this.text.charCodeAt(this.index);
    if (character === CHARACTER_OBJECT_OPEN || character === CHARACTER_ARRAY_OPEN) {
      if (this.stack.length >= JSON_DEPTH_MAXIMUM) {
        this.fail('nesting_too_deep', `JSON nests at most ${JSON_DEPTH_MAXIMUM} objects and arrays`);
      }
      this.index += 1;
      this.skipWhitespace();
      if (character === CHARACTER_OBJECT_OPEN) {
        const frame: ObjectFrame = { kind: 'object', value: {}, keyCount: 0, key: null };
        this.stack.push(frame);
        if (this.text.charCodeAt(this.index) === CHARACTER_OBJECT_CLOSE) {
          this.index += 1;
          return CONTAINER_CLOSED_EMPTY;
        }
        this.readKey(frame);
      } else {
        const frame: ArrayFrame = { kind: 'array', value: [], index: 0 };
        this.stack.push(frame);
        if (this.text.charCodeAt(this.index) === CHARACTER_ARRAY_CLOSE) {
          this.index += 1;
          return CONTAINER_CLOSED_EMPTY;
        }
        this.startItem(frame, 0);
      }
      return CONTAINER_OPENED;
    }
    if (character === CHARACTER_QUOTE) return { value: this.readString() };
    if (character === CHARACTER_MINUS || (character >= CHARACTER_ZERO && character <= CHARACTER_NINE)) return { value: this.readNumber() };
    if (this.text.startsWith('true', this.index)) return this.readLiteral('true', true);
    if (this.text.startsWith('false', this.index)) return this.readLiteral('false', false);
    if (this.text.startsWith('null', this.index)) return this.readLiteral('null', null);
    return this.fail('malformed_json', this.index >= this.text.length ? 'the JSON text ends where a value was expected' : `expected a value ${this.where()}`);
  }

  private readLiteral(literal: string, value: boolean | null): { value: boolean | null } {
    this.index += literal.length;
    return { value };
  }

  /** Pops the finished container and hands it to its parent; answers it if it was the root. */
  private closeContainer(): unknown {
    const frame = this.stack.pop();
    if (frame === undefined) throw new Error('strict JSON reader: closing with no open container');
    return this.deliver(frame.value);
  }

  /** Stores a finished value in the open container (or answers it as the root). */
  private deliver(value: unknown): unknown {
    const frame = this.stack[this.stack.length - 1];
    if (frame === undefined) return value;
    if (frame.kind === 'array') {
      frame.value.push(value);
    } else if (frame.key === null) {
      throw new Error('strict JSON reader: a value with no key');
    } else if (frame.key === '__proto__') {
      // As JSON.parse does: an own property, never the object's prototype.
      Object.defineProperty(frame.value, frame.key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      frame.value[frame.key] = value;
    }
    return value;
  }

  private startItem(frame: ArrayFrame, index: number): void {
    if (index >= JSON_ARRAY_ITEMS_MAXIMUM) {
      // Named by the array's own path, not by an item that is not kept.
      this.stack.pop();
      this.fail('too_many_items', `an array holds at most ${JSON_ARRAY_ITEMS_MAXIMUM} items`);
    }
    frame.index = index;
  }

  /** Reads `"key" :` of an object, refusing a duplicate or one key too many. */
  private readKey(frame: ObjectFrame): void {
    frame.key = null;
    if (this.text.charCodeAt(this.index) !== CHARACTER_QUOTE) {
      this.fail('malformed_json', `expected a key in double quotes ${this.where()}`);
    }
    if (frame.keyCount >= JSON_OBJECT_KEYS_MAXIMUM) {
      this.fail('too_many_keys', `an object holds at most ${JSON_OBJECT_KEYS_MAXIMUM} keys`);
    }
    frame.keyCount += 1;
    const key = this.readString(frame);
    frame.key = key;
    if (Object.prototype.hasOwnProperty.call(frame.value, key)) {
      this.fail('duplicate_key', 'a key appears twice in the same object');
    }
    this.skipWhitespace();
    if (this.text.charCodeAt(this.index) !== CHARACTER_COLON) {
      this.fail('malformed_json', `expected ":" after a key ${this.where()}`);
    }
    this.index += 1;
  }

  /**
   * Reads a string at the opening quote, unescaped, and checks it is text. `keyOf` is the
   * object whose key this string is: an invalid key is named by its own escaped form.
   */
  private readString(keyOf?: ObjectFrame): string {
    const start = this.index + 1;
    let position = start;
    let parts: string[] | null = null;
    let chunkStart = start;
    for (;;) {
      if (position >= this.text.length) this.fail('malformed_json', 'a string is not closed');
      const character = this.text.charCodeAt(position);
      if (character === CHARACTER_QUOTE) break;
      if (character < 0x20) {
        this.index = position;
        this.failText(keyOf, 'malformed_json', `control character U+${hex4(character)} must not appear unescaped in a string`, undefined);
      }
      if (character !== CHARACTER_BACKSLASH) {
        position += 1;
        continue;
      }
      parts ??= [];
      parts.push(this.text.slice(chunkStart, position));
      const escaped = this.readEscape(position, keyOf);
      parts.push(escaped.text);
      position = escaped.next;
      chunkStart = position;
    }
    const value = parts === null ? this.text.slice(start, position) : parts.join('') + this.text.slice(chunkStart, position);
    this.index = position + 1;
    const problem = textProblemOf(value);
    if (problem !== null) this.failText(keyOf, 'invalid_text', problem, value);
    return value;
  }

  /** One escape sequence at `position` (the backslash); `\u` yields one UTF-16 code unit. */
  private readEscape(position: number, keyOf: ObjectFrame | undefined): { text: string; next: number } {
    const letter = this.text[position + 1];
    switch (letter) {
      case '"': return { text: '"', next: position + 2 };
      case '\\': return { text: '\\', next: position + 2 };
      case '/': return { text: '/', next: position + 2 };
      case 'b': return { text: '\b', next: position + 2 };
      case 'f': return { text: '\f', next: position + 2 };
      case 'n': return { text: '\n', next: position + 2 };
      case 'r': return { text: '\r', next: position + 2 };
      case 't': return { text: '\t', next: position + 2 };
      case 'u': {
        const digits = this.text.slice(position + 2, position + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(digits)) {
          this.index = position;
          this.failText(keyOf, 'malformed_json', '\\u must be followed by four hexadecimal digits', undefined);
        }
        return { text: String.fromCharCode(Number.parseInt(digits, 16)), next: position + 6 };
      }
      default:
        this.index = position;
        return this.failText(keyOf, 'malformed_json', `invalid escape sequence in a string ${this.where()}`, undefined);
    }
  }

  /** A number as RFC 8259 writes it: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, finite. */
  private readNumber(): number {
    const start = this.index;
    let position = start;
    if (this.text.charCodeAt(position) === CHARACTER_MINUS) position += 1;
    if (this.text.charCodeAt(position) === CHARACTER_ZERO) {
      position += 1;
    } else {
      const digitsEnd = this.skipDigits(position);
      if (digitsEnd === position) this.failAt(position, 'a number needs a digit');
      position = digitsEnd;
    }
    if (this.text.charCodeAt(position) === CHARACTER_DOT) {
      const digitsEnd = this.skipDigits(position + 1);
      if (digitsEnd === position + 1) this.failAt(position, 'a decimal point must be followed by a digit');
      position = digitsEnd;
    }
    const exponentMark = this.text.charCodeAt(position);
    if (exponentMark === 0x65 || exponentMark === 0x45) {
      position += 1;
      const sign = this.text.charCodeAt(position);
      if (sign === CHARACTER_PLUS || sign === CHARACTER_MINUS) position += 1;
      const digitsEnd = this.skipDigits(position);
      if (digitsEnd === position) this.failAt(position, 'an exponent needs a digit');
      position = digitsEnd;
    }
    const value = Number(this.text.slice(start, position));
    if (!Number.isFinite(value)) this.failAt(start, 'a number is out of range');
    this.index = position;
    return value;
  }

  private skipDigits(position: number): number {
    let end = position;
    while (end < this.text.length) {
      const character = this.text.charCodeAt(end);
      if (character < CHARACTER_ZERO || character > CHARACTER_NINE) break;
      end += 1;
    }
    return end;
  }

  /** JSON whitespace only: space, tab, line feed, carriage return (not U+00A0, not U+FEFF). */
  private skipWhitespace(): void {
    while (this.index < this.text.length) {
      const character = this.text.charCodeAt(this.index);
      if (character !== 0x20 && character !== 0x09 && character !== 0x0a && character !== 0x0d) return;
      this.index += 1;
    }
  }

  private failAt(position: number, message: string): never {
    this.index = position;
    return this.fail('malformed_json', `${message} ${this.where()}`);
  }

  /** A refusal in a string: an invalid key is named by the path of the key itself. */
  private failText(keyOf: ObjectFrame | undefined, code: StrictJsonRefusalCode, message: string, key: string | undefined): never {
    if (keyOf === undefined || key === undefined) return this.fail(code, message);
    keyOf.key = key;
    return this.fail(code, message);
  }

  /** Refuses the input, naming the path of the value (or key) being read. */
  private fail(code: StrictJsonRefusalCode, message: string): never {
    const field = this.path();
    throw new StrictJsonRefused(code, field === undefined ? message : `${field}: ${message}`, field);
  }

  private where(): string {
    return this.index >= this.text.length ? 'at the end of the text' : `at character ${this.index + 1}`;
  }

  /** The path of the value or key being read, `contract.carveOuts[0].party`; undefined at the top. */
  private path(): string | undefined {
    let path = '';
    for (const frame of this.stack) {
      if (frame.kind === 'array') path += `[${frame.index}]`;
      else if (frame.key !== null) path += pathSegmentOfKey(frame.key, path === '');
    }
    if (path === '') return undefined;
    return path.length > FIELD_PATH_LENGTH_MAXIMUM ? `${path.slice(0, FIELD_PATH_LENGTH_MAXIMUM)}…` : path;
  }
}

const CONTAINER_OPENED = Symbol('container opened');
const CONTAINER_CLOSED_EMPTY = Symbol('container closed empty');

/** `name`, `.name`, or `["a key"]` (escaped, so that a hostile key cannot forge a path or a log line). */
function pathSegmentOfKey(key: string, isFirst: boolean): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) && key.length <= KEY_IN_PATH_LENGTH_MAXIMUM) return isFirst ? key : `.${key}`;
  const shown = key.length > KEY_IN_PATH_LENGTH_MAXIMUM ? `${key.slice(0, KEY_IN_PATH_LENGTH_MAXIMUM)}…` : key;
  return `[${JSON.stringify(shown)}]`;
}

function hex4(codeUnit: number): string {
  return codeUnit.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Why a string is not text, or null: a lone surrogate (valid UTF-16 pairs only, so the text
 * has a UTF-8 form PostgreSQL accepts) or a C0/DEL/C1 control character (U+0000 cannot be
 * stored in PostgreSQL text at all; the others hide in logs, CSV cells and statements).
 */
export function textProblemOf(value: string): string | null {
  for (let position = 0; position < value.length; position += 1) {
    const codeUnit = value.charCodeAt(position);
    if (codeUnit < 0x20 || (codeUnit >= 0x7f && codeUnit <= 0x9f)) {
      return `control character U+${hex4(codeUnit)} is not allowed in text`;
    }
    if (codeUnit >= 0xd800 && codeUnit <= 0xdbff) {
      const next = value.charCodeAt(position + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return `lone surrogate U+${hex4(codeUnit)} is not text`;
      position += 1;
    } else if (codeUnit >= 0xdc00 && codeUnit <= 0xdfff) {
      return `lone surrogate U+${hex4(codeUnit)} is not text`;
    }
  }
  return null;
}
