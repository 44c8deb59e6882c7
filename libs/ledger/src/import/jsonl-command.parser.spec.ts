import {
  IDENTIFIER_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM, NAME_LENGTH_MAXIMUM, REASON_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM,
} from '@rsi/domain';
import { COMMAND_FIELDS, fieldLengthMaximum, parseCommandObject } from './jsonl-command.parser';
import { CONSUMPTION_COMMAND_FIELDS } from '../consumption';

const shapeError = (value: unknown) => {
  try {
    parseCommandObject(value, { ...COMMAND_FIELDS, ...CONSUMPTION_COMMAND_FIELDS });
  } catch (error) {
    return error as { code: string; field?: string; message: string };
  }
  return null;
};

describe('the JSONL field-shape parser uses the domain\'s limits', () => {
  it('has a limit for every string field of every command', () => {
    for (const fields of Object.values({ ...COMMAND_FIELDS, ...CONSUMPTION_COMMAND_FIELDS })) {
      for (const [field, kind] of Object.entries(fields)) expect(() => fieldLengthMaximum(field, kind)).not.toThrow();
    }
  });
  it.each([
    ['RegisterDeveloper', 'name', NAME_LENGTH_MAXIMUM, { developerId: 'dev-1', country: 'NG' }],
    ['RegisterApp', 'name', NAME_LENGTH_MAXIMUM, { appId: 'app-1', developerId: 'dev-1', contract: {} }],
    ['SettlePayout', 'reference', REFERENCE_LENGTH_MAXIMUM, { payoutId: 'p-1', settledAt: '2026-01-01T00:00:00Z' }],
    ['FailPayout', 'reason', REASON_LENGTH_MAXIMUM, { payoutId: 'p-1', failedAt: '2026-01-01T00:00:00Z' }],
    ['RecordRevenue', 'receiptId', IDENTIFIER_LENGTH_MAXIMUM, { appId: 'app-1', amount: '1.00', currency: 'USD', occurredAt: '2026-01-01T00:00:00Z' }],
    ['RecordRevenue', 'occurredAt', INSTANT_TEXT_LENGTH_MAXIMUM, { receiptId: 'r-1', appId: 'app-1', amount: '1.00', currency: 'USD' }],
  ])('%s.%s: at most %i characters, the same limit as the domain and the DTOs', (type, field, limit, rest) => {
    expect(shapeError({ type, ...rest, [field]: 'a'.repeat(limit) })).toBeNull();
    const error = shapeError({ type, ...rest, [field]: 'a'.repeat(limit + 1) });
    expect(error).toEqual(expect.objectContaining({ code: 'command_invalid', field, message: `${field}: at most ${limit} characters` }));
  });
});
