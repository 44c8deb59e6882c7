import { DomainError } from '../domain.errors';
import { addDays, calendarMonthKey, calendarYearKey, isNormalisedInstant, parseInstant } from './instant';

describe('parseInstant', () => {
  it.each([
    ['2026-01-31T12:00:00Z', '2026-01-31T12:00:00.000Z'],
    ['2026-01-31T12:00:00.5Z', '2026-01-31T12:00:00.500Z'],
    ['2026-01-31T12:00:00.123Z', '2026-01-31T12:00:00.123Z'],
    ['2026-01-31T12:00:00.123000Z', '2026-01-31T12:00:00.123Z'],
    ['2026-01-31T12:00:00+01:00', '2026-01-31T11:00:00.000Z'],
    ['2026-01-31T23:30:00-02:00', '2026-02-01T01:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
  ])('%s → %s', (input, iso) => {
    const instant = parseInstant(input, 'occurredAt');
    expect(instant.iso).toBe(iso);
    expect(instant.epochMilliseconds).toBe(Date.parse(iso));
  });

  it.each([
    1767225600000,
    '2026-01-31',
    '2026-01-31T12:00:00',
    '2026-01-31 12:00:00Z',
    '2026-01-31t12:00:00z',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01T00:00:00.1234Z',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01T00:00:00+0100',
    '0999-01-01T00:00:00Z',
    '+02026-01-01T00:00:00Z',
    ' 2026-01-01T00:00:00Z',
  ])('refuses %j', (input) => {
    let caught: unknown;
    try {
      parseInstant(input, 'occurredAt');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('instant_malformed');
    expect((caught as DomainError).field).toBe('occurredAt');
  });

  it('knows normalised instants', () => {
    expect(isNormalisedInstant('2026-01-01T00:00:00.000Z')).toBe(true);
    expect(isNormalisedInstant('2026-01-01T00:00:00Z')).toBe(false);
    expect(isNormalisedInstant('2026-02-30T00:00:00.000Z')).toBe(false);
    expect(isNormalisedInstant('2026-12-31T24:00:00.000Z')).toBe(false);
    expect(isNormalisedInstant('0999-01-01T00:00:00.000Z')).toBe(false);
    expect(isNormalisedInstant('2024-02-29T23:59:59.999Z')).toBe(true);
  });
});

describe('instant helpers', () => {
  it('adds whole UTC days across month and year ends', () => {
    expect(addDays('2026-01-31T12:00:00.000Z', 14)).toBe('2026-02-14T12:00:00.000Z');
    expect(addDays('2026-12-25T00:00:00.000Z', 7)).toBe('2027-01-01T00:00:00.000Z');
    expect(addDays('2026-12-25T00:00:00.000Z', 0)).toBe('2026-12-25T00:00:00.000Z');
  });
  it('gives calendar keys', () => {
    expect(calendarMonthKey('2026-03-31T23:59:59.999Z')).toBe('2026-03');
    expect(calendarYearKey('2026-03-31T23:59:59.999Z')).toBe('2026');
  });
});
