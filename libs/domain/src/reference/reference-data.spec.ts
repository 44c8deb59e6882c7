import { currencyExponent, isMoneyCurrency, parseCurrency } from '../money/money';
import { INCOME_GROUPS, parseCountryCode, parseOptionalIncomeGroup } from './reference-data.parser';
import { contractTerms, given, history, registerApp, registerDeveloper, requestPayout } from '../testing/developer-decider.support';
import type { DeveloperCommand } from '../ledger.commands';

const registerDeveloperWith = (data: Record<string, unknown>): DeveloperCommand => ({
  type: 'RegisterDeveloper', data: { developerId: 'dev-1', name: 'Ada Labs', country: 'NG', ...data },
} as DeveloperCommand);

describe('currencies: active ISO 4217 codes of real money', () => {
  it.each(['XXX', 'XTS', 'XAU', 'XAG', 'XPD', 'XPT', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XSU', 'XUA', 'BOV', 'CLF', 'COU', 'MXV', 'UYI', 'UYW', 'CHE', 'CHW', 'USN'])('refuses %s in a command', (code) => {
    expect(isMoneyCurrency(code)).toBe(false);
    expect(() => parseCurrency(code, 'currency')).toThrow(expect.objectContaining({ code: 'currency_not_money', field: 'currency' }));
  });
  it.each([['XOF', 0], ['XAF', 0], ['XCD', 2], ['XPF', 0], ['JPY', 0], ['KWD', 3], ['USD', 2], ['NGN', 2], ['CHF', 2], ['BOB', 2]])('accepts %s (%i decimals)', (code, digits) => {
    expect(parseCurrency(code, 'currency')).toBe(code);
    expect(currencyExponent(code)).toBe(digits);
  });
  it.each(['usd', 'ABC', 'US', ''])('refuses the unknown code %p', (code) => {
    expect(() => parseCurrency(code, 'currency')).toThrow(expect.objectContaining({ code: 'unknown_currency' }));
  });
  // The two short lists in money.ts are held to the ISO XML the package ships by
  // test/iso-4217-reference.spec.ts (it reads a file, which the domain's specs may not).
  it('keeps decoding recorded non-money codes: the exponent lookup still knows them', () => {
    expect(currencyExponent('XXX')).toBe(0);
  });

  it('refuses a contract or a payout in a non-money currency', () => {
    const registered = history([registerDeveloper()]);
    const noDecimals = { minimumPayout: '0', platformShare: { tiers: [{ upTo: '1000', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' } };
    given(registered).when(registerApp('app-1', contractTerms({ currency: 'XXX', ...noDecimals }))).thenRefused('currency_not_money', 'invalid', 'contract.currency');
    given(registered).when(registerApp('app-1', contractTerms({ currency: 'XAU', ...noDecimals }))).thenRefused('currency_not_money', 'invalid', 'contract.currency');
    given(registered).when(registerApp('app-1', contractTerms({ currency: 'BOV' }))).thenRefused('currency_not_money', 'invalid', 'contract.currency');
    given(registered).when(requestPayout('p-1', '1', '2026-02-01T00:00:00Z', 'XTS')).thenRefused('currency_not_money', 'invalid', 'currency');
  });
  it('registers an app in XOF', () => {
    const registered = history([registerDeveloper()]);
    const xof = contractTerms({ currency: 'XOF', minimumPayout: '0', platformShare: { tiers: [{ upTo: '1000', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' } });
    expect(given(registered).when(registerApp('app-1', xof)).thenEvents()).toHaveLength(1);
  });
});

describe('countries: ISO 3166-1 alpha-2 in capitals', () => {
  it.each(['NG', 'DE', 'US', 'KE', 'BR', 'IN'])('accepts %s', (code) => expect(parseCountryCode(code, 'country')).toBe(code));
  it.each(['ZZ', 'XK', 'zz', 'ng', 'Ng', 'NGA', 'N', '', 'Nigeria', 566])('refuses %p', (code) => {
    expect(() => parseCountryCode(code, 'country')).toThrow(expect.objectContaining({ code: 'unknown_country', field: 'country' }));
  });
  it('refuses a developer registered in "zz"', () => {
    given([]).when(registerDeveloperWith({ country: 'zz' })).thenRefused('unknown_country', 'invalid', 'country');
    given([]).when(registerDeveloperWith({ country: 'ZZ' })).thenRefused('unknown_country', 'invalid', 'country');
  });
});

describe('income groups: the World Bank\'s four', () => {
  it('are low, lower-middle, upper-middle and high', () => {
    expect(INCOME_GROUPS).toEqual(['low', 'lower-middle', 'upper-middle', 'high']);
    for (const group of INCOME_GROUPS) expect(parseOptionalIncomeGroup(group, 'incomeGroup')).toBe(group);
  });
  it('is optional', () => {
    expect(parseOptionalIncomeGroup(undefined, 'incomeGroup')).toBeNull();
    expect(parseOptionalIncomeGroup(null, 'incomeGroup')).toBeNull();
  });
  it.each(['billionaire', 'High', 'middle', 'lower middle', '', 3])('refuses %p', (group) => {
    given([]).when(registerDeveloperWith({ incomeGroup: group })).thenRefused('unknown_income_group', 'invalid', 'incomeGroup');
  });
});
