import { commandFailureCodeOf } from './command-batch-isolation';

describe('commandFailureCodeOf', () => {
  it.each([
    ['22P02', 'command_not_storable'], // invalid_text_representation (a lone surrogate in json)
    ['22P05', 'command_not_storable'], // untranslatable_character (NUL)
    ['22023', 'command_not_storable'],
    ['23514', 'command_not_storable'], // check_violation
    ['23505', 'command_not_storable'], // unique_violation other than a duplicate event id
    ['P0001', 'internal_error'],
    ['42P01', 'internal_error'], // undefined_table: the ledger's fault, not the data's
    ['XX000', 'internal_error'],
  ])('maps SQLSTATE %s to %s', (code, expected) => {
    expect(commandFailureCodeOf(Object.assign(new Error('database error'), { code }))).toBe(expected);
  });

  it('maps an error without a SQLSTATE to internal_error, also one whose code only looks like class 22', () => {
    expect(commandFailureCodeOf(new TypeError('bug'))).toBe('internal_error');
    expect(commandFailureCodeOf(Object.assign(new Error('node'), { code: '22' }))).toBe('internal_error');
    expect(commandFailureCodeOf(Object.assign(new Error('node'), { code: 'ERR_22XYZ' }))).toBe('internal_error');
    expect(commandFailureCodeOf(undefined)).toBe('internal_error');
  });
});
