import {
  COUNTRY_CODE_LENGTH, CURRENCY_CODE_LENGTH, DECIMAL_TEXT_LENGTH_MAXIMUM, EVENT_STRING_LENGTH_MAXIMUM, IDENTIFIER_LENGTH_MAXIMUM,
  INSTANT_TEXT_LENGTH_MAXIMUM, METER_NAME_LENGTH_MAXIMUM, MONEY_MAXIMUM_MINOR, NAME_LENGTH_MAXIMUM, PARTY_LENGTH_MAXIMUM,
  QUANTITY_MAXIMUM_UNITS, REASON_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM, UNIT_PRICE_DECIMALS_MAXIMUM,
} from './ledger-limits';
import { INCOME_GROUP_LENGTH_MAXIMUM } from '../reference/reference-data.parser';
import { decodeDeveloperEvent, encodeDeveloperEvent } from '../codec/ledger-event.codec';
import { formatMoney } from '../money/money';
import { given, history, registerApp, registerDeveloper, failPayout, settlePayout, requestPayout, recordRevenue, contractTerms } from '../testing/developer-decider.support';
import type { DeveloperCommand } from '../ledger.commands';

describe('limits, defined once', () => {
  it('let every stored string of a command decode: the event string limit is above every text limit', () => {
    const textLimits = [
      IDENTIFIER_LENGTH_MAXIMUM, NAME_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM, REASON_LENGTH_MAXIMUM, PARTY_LENGTH_MAXIMUM,
      COUNTRY_CODE_LENGTH, CURRENCY_CODE_LENGTH, METER_NAME_LENGTH_MAXIMUM, INCOME_GROUP_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM,
      'developer:'.length + IDENTIFIER_LENGTH_MAXIMUM,
    ];
    for (const limit of textLimits) expect(limit).toBeLessThanOrEqual(EVENT_STRING_LENGTH_MAXIMUM);
  });
  it('let the longest accepted decimal through the decimal text limit', () => {
    // 10^15 minor units of a currency without decimals has 16 digits; a unit price has 7 integer digits and 12 decimals.
    expect(MONEY_MAXIMUM_MINOR.toString().length).toBeLessThanOrEqual(DECIMAL_TEXT_LENGTH_MAXIMUM);
    expect(formatMoney(MONEY_MAXIMUM_MINOR, 'KWD').length).toBeLessThanOrEqual(DECIMAL_TEXT_LENGTH_MAXIMUM);
    expect(QUANTITY_MAXIMUM_UNITS.toString().length + 1 + 9).toBeLessThanOrEqual(DECIMAL_TEXT_LENGTH_MAXIMUM);
    expect(7 + 1 + UNIT_PRICE_DECIMALS_MAXIMUM).toBeLessThanOrEqual(DECIMAL_TEXT_LENGTH_MAXIMUM);
  });

  const registered = history([registerDeveloper()]);
  const registerDeveloperNamed = (name: string): DeveloperCommand => ({ type: 'RegisterDeveloper', data: { developerId: 'dev-2', name, country: 'NG' } });
  it('holds one name limit for developers and apps: NAME_LENGTH_MAXIMUM accepted, one more refused', () => {
    expect(given([]).when(registerDeveloperNamed('n'.repeat(NAME_LENGTH_MAXIMUM))).thenEvents()).toHaveLength(1);
    given([]).when(registerDeveloperNamed('n'.repeat(NAME_LENGTH_MAXIMUM + 1))).thenRefused('field_invalid', 'invalid', 'name');
    const app = (name: string): DeveloperCommand => ({ type: 'RegisterApp', data: { appId: 'app-1', developerId: 'dev-1', name, contract: contractTerms() } });
    expect(given(registered).when(app('n'.repeat(NAME_LENGTH_MAXIMUM))).thenEvents()).toHaveLength(1);
    given(registered).when(app('n'.repeat(NAME_LENGTH_MAXIMUM + 1))).thenRefused('field_invalid', 'invalid', 'name');
  });
  it('holds the reference and reason limits, and what they accept decodes', () => {
    const withPayout = history([registerDeveloper(), registerApp('app-1', contractTerms({ holdDays: 0, minimumPayout: '0.00' })),
      recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z'), requestPayout('p-1', '10.00', '2026-02-01T00:00:00Z')]);
    const [settled] = given(withPayout).when(settlePayout('p-1', '2026-02-02T00:00:00Z', 'r'.repeat(REFERENCE_LENGTH_MAXIMUM))).thenEvents();
    expect(decodeDeveloperEvent(settled!.type, encodeDeveloperEvent(settled!).data)).toEqual(settled);
    given(withPayout).when(settlePayout('p-1', '2026-02-02T00:00:00Z', 'r'.repeat(REFERENCE_LENGTH_MAXIMUM + 1))).thenRefused('field_invalid', 'invalid', 'reference');
    const [failed] = given(withPayout).when(failPayout('p-1', '2026-02-02T00:00:00Z', 'x'.repeat(REASON_LENGTH_MAXIMUM))).thenEvents();
    expect(decodeDeveloperEvent(failed!.type, encodeDeveloperEvent(failed!).data)).toEqual(failed);
    given(withPayout).when(failPayout('p-1', '2026-02-02T00:00:00Z', 'x'.repeat(REASON_LENGTH_MAXIMUM + 1))).thenRefused('field_invalid', 'invalid', 'reason');
  });
});
