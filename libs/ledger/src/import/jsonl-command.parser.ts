import {
  COUNTRY_CODE_LENGTH, CURRENCY_CODE_LENGTH, DECIMAL_TEXT_LENGTH_MAXIMUM, DomainError,
  IDENTIFIER_LENGTH_MAXIMUM, INCOME_GROUP_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM, METER_NAME_LENGTH_MAXIMUM,
  NAME_LENGTH_MAXIMUM, REASON_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM, CHOICE_LENGTH_MAXIMUM, FX_RATE_TEXT_LENGTH_MAXIMUM, FX_SOURCE_LENGTH_MAXIMUM,
} from '@rsi/domain';
import type { DeveloperCommand } from '@rsi/domain';

/** A line longer than this is refused before it is parsed (the domain's limit). */
export { COMMAND_LINE_BYTES_MAXIMUM } from '@rsi/domain';

/**
 * The length limit of each free-text field, by field name: a name is the same concept in
 * every command, with the domain's one limit for it. Fields ending in `Id` are identifiers.
 * The domain checks the content itself; this refuses an oversized value before it gets there.
 */
const TEXT_FIELD_LENGTH_MAXIMUM: Readonly<Record<string, number>> = {
  name: NAME_LENGTH_MAXIMUM,
  reference: REFERENCE_LENGTH_MAXIMUM,
  reason: REASON_LENGTH_MAXIMUM,
  country: COUNTRY_CODE_LENGTH,
  incomeGroup: INCOME_GROUP_LENGTH_MAXIMUM,
  currency: CURRENCY_CODE_LENGTH,
  meter: METER_NAME_LENGTH_MAXIMUM,
  outcome: CHOICE_LENGTH_MAXIMUM,
  payoutCurrency: CURRENCY_CODE_LENGTH,
  fxRate: FX_RATE_TEXT_LENGTH_MAXIMUM,
  fxSource: FX_SOURCE_LENGTH_MAXIMUM,
  category: CHOICE_LENGTH_MAXIMUM,
};

/** The longest string a field of this kind and name may be; throws for a text field with no known limit (a programming error). */
export function fieldLengthMaximum(field: string, kind: FieldKind): number {
  switch (kind) {
    case 'money':
    case 'quantity':
      return DECIMAL_TEXT_LENGTH_MAXIMUM;
    case 'time':
      return INSTANT_TEXT_LENGTH_MAXIMUM;
    case 'object':
      return 0; // never a string: the shape check refuses one first
    default: {
      const limit = TEXT_FIELD_LENGTH_MAXIMUM[field] ?? (field.endsWith('Id') ? IDENTIFIER_LENGTH_MAXIMUM : undefined);
      if (limit === undefined) throw new Error(`the text field ${field} has no length limit in TEXT_FIELD_LENGTH_MAXIMUM`);
      return limit;
    }
  }
}

export class CommandShapeInvalid extends DomainError {
  constructor(message: string, field?: string) {
    super('command_invalid', 'invalid', message, field);
  }
}

/** `quantity`: an exact decimal string (consumption), refused as a JSON number like money. */
export type FieldKind = 'text' | 'money' | 'quantity' | 'time' | 'object' | 'optional-text';

/**
 * The fields of each command: exactly these, no others (docs/cli.md "JSONL commands").
 * `AssessRunPayout` is not among them either: it is one developer's part of a `RunPayouts`.
 * `ErasePersonalData` is not among them: an erasure is an operator's request with its own
 * CLI command and route, never a line of an import file, and it also destroys a key.
 */
export const COMMAND_FIELDS: Record<Exclude<DeveloperCommand['type'], 'ErasePersonalData' | 'AssessRunPayout'> | 'RunPayouts', Record<string, FieldKind>> = {
  RegisterDeveloper: { developerId: 'text', name: 'text', country: 'text', incomeGroup: 'optional-text' },
  RegisterApp: { appId: 'text', developerId: 'text', name: 'text', contract: 'object' },
  AmendContract: { appId: 'text', contract: 'object' },
  // `category` may be left out (or null): a purchase.
  RecordRevenue: { receiptId: 'text', appId: 'text', amount: 'money', currency: 'text', occurredAt: 'time', category: 'optional-text' },
  RefundRevenue: { refundId: 'text', receiptId: 'text', amount: 'money', occurredAt: 'time' },
  // payoutCurrency, fxRate and fxSource: all three or none (the domain refuses a partial set, naming the missing field).
  RequestPayout: {
    payoutId: 'text', developerId: 'text', currency: 'text', amount: 'money', requestedAt: 'time',
    payoutCurrency: 'optional-text', fxRate: 'optional-text', fxSource: 'optional-text',
  },
  SettlePayout: { payoutId: 'text', settledAt: 'time', reference: 'text' },
  FailPayout: { payoutId: 'text', failedAt: 'time', reason: 'text' },
  OpenDispute: { disputeId: 'text', receiptId: 'text', amount: 'money', fee: 'money', openedAt: 'time' },
  ResolveDispute: { disputeId: 'text', outcome: 'text', resolvedAt: 'time' },
  // Fanned out by the developer ledger into one AssessRunPayout per developer (never a line of its own).
  RunPayouts: { runId: 'text', currency: 'text', asOf: 'time' },
};

export function isDeveloperCommandType(type: unknown): type is DeveloperCommand['type'] {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(COMMAND_FIELDS, type);
}

/**
 * Checks the shape of a command object (`{type, ...fields}` as in a JSONL line or an HTTP
 * body): known type, every required field present with the right JSON type, no unknown
 * field, money as strings (a JSON number is refused: it may already have lost precision).
 * The domain checks the values themselves (decimals, ids, dates, contract terms).
 */
export function parseCommandObject(value: unknown, knownTypes: Record<string, Record<string, FieldKind>> = COMMAND_FIELDS): { type: string; data: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CommandShapeInvalid('a command must be a JSON object with a "type"');
  }
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(knownTypes, type)) {
    throw new CommandShapeInvalid(`unknown command type ${JSON.stringify(type)}; expected one of ${Object.keys(knownTypes).join(', ')}`, 'type');
  }
  const fields = knownTypes[type];
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key !== 'type' && !Object.prototype.hasOwnProperty.call(fields, key)) {
      throw new CommandShapeInvalid(`${key}: unknown field for ${type}`, key);
    }
  }
  for (const [field, kind] of Object.entries(fields)) {
    const fieldValue = record[field];
    if (fieldValue === undefined || (fieldValue === null && kind !== 'optional-text')) {
      if (kind === 'optional-text') continue;
      throw new CommandShapeInvalid(`${field}: required`, field);
    }
    switch (kind) {
      case 'money':
        if (typeof fieldValue !== 'string') {
          throw new CommandShapeInvalid(`${field}: an amount must be a decimal string such as "19.99", not ${typeof fieldValue === 'number' ? 'a JSON number' : typeof fieldValue}`, field);
        }
        break;
      case 'quantity':
        if (typeof fieldValue !== 'string') {
          throw new CommandShapeInvalid(`${field}: a quantity must be a decimal string such as "1500" or "0.25", not ${typeof fieldValue === 'number' ? 'a JSON number' : typeof fieldValue}`, field);
        }
        break;
      case 'object':
        if (typeof fieldValue !== 'object' || Array.isArray(fieldValue)) throw new CommandShapeInvalid(`${field}: must be a JSON object`, field);
        break;
      case 'optional-text':
        if (fieldValue !== null && typeof fieldValue !== 'string') throw new CommandShapeInvalid(`${field}: must be a string or null`, field);
        break;
      default:
        if (typeof fieldValue !== 'string') throw new CommandShapeInvalid(`${field}: must be a string`, field);
    }
    if (typeof fieldValue === 'string') {
      const lengthMaximum = fieldLengthMaximum(field, kind);
      if (fieldValue.length > lengthMaximum) throw new CommandShapeInvalid(`${field}: at most ${lengthMaximum} characters`, field);
    }
    data[field] = fieldValue;
  }
  return { type, data };
}
