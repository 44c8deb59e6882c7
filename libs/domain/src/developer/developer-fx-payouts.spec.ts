import { DeveloperCommand } from '../ledger.commands';
import { FX_CONVERSION_RULE_VERSION } from '../money/fx-conversion';
import {
  DEVELOPER_ID, failPayout, given, history, recordRevenue, registerApp, registerDeveloper, requestPayout, run, settlePayout,
} from '../testing/developer-decider.support';
import { availableBalanceMinor } from './developer.state';

const REQUESTED_AT = '2026-03-01T00:00:00Z';
const REQUESTED_AT_ISO = '2026-03-01T00:00:00.000Z';
const SOURCE = 'ECB reference rate 2026-02-27';

const requestFxPayout = (payoutId: string, amount: string, fx: Record<string, unknown>): DeveloperCommand => ({
  type: 'RequestPayout',
  data: { payoutId, developerId: DEVELOPER_ID, currency: 'USD', amount, requestedAt: REQUESTED_AT, ...fx },
});
const jpy = { payoutCurrency: 'JPY', fxRate: '151.237', fxSource: SOURCE };

// 2000.00 on 0% up to 1000.00, 15% above: developer 1850.00 available from 2026-01-24; minimum payout 50.00.
const credited = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')]);

describe('RequestPayout in another currency', () => {
  it('debits the balance currency and records the amount paid in the payout currency (docs/domain.md worked example)', () => {
    // 1234.56 USD × 151.237 = 186711.15072 JPY; JPY has no decimals; half to even gives 186711.
    given(credited).when(requestFxPayout('p-1', '1234.56', jpy)).then([{
      type: 'PayoutRequested',
      data: {
        payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 123456n, requestedAt: REQUESTED_AT_ISO,
        conversion: { payoutCurrency: 'JPY', payoutAmountMinor: 186711n, fxRate: '151.237', fxSource: SOURCE, fxRuleVersion: FX_CONVERSION_RULE_VERSION },
      },
    }]);
  });

  it('converts between minor units of any exponents: to three decimals (KWD), to two (EUR)', () => {
    const [toKwd] = given(credited).when(requestFxPayout('p-1', '1234.56', { payoutCurrency: 'KWD', fxRate: '0.30712', fxSource: SOURCE })).thenEvents();
    expect(toKwd!.type === 'PayoutRequested' && toKwd.data.conversion).toMatchObject({ payoutAmountMinor: 379158n }); // 379.1580672 KWD
    const [toEur] = given(credited).when(requestFxPayout('p-1', '1234.56', { payoutCurrency: 'EUR', fxRate: '0.9512', fxSource: SOURCE })).thenEvents();
    expect(toEur!.type === 'PayoutRequested' && toEur.data.conversion).toMatchObject({ payoutAmountMinor: 117431n }); // 1174.313472 EUR
  });

  it('rounds an exact half to the even minor unit', () => {
    // 52.50 USD at 1 → 52.5 JPY → 52; 53.50 → 53.5 → 54.
    const even = given(credited).when(requestFxPayout('p-1', '52.50', { payoutCurrency: 'JPY', fxRate: '1', fxSource: SOURCE })).thenEvents();
    expect(even[0]!.type === 'PayoutRequested' && even[0].data.conversion?.payoutAmountMinor).toBe(52n);
    const odd = given(credited).when(requestFxPayout('p-1', '53.50', { payoutCurrency: 'JPY', fxRate: '1', fxSource: SOURCE })).thenEvents();
    expect(odd[0]!.type === 'PayoutRequested' && odd[0].data.conversion?.payoutAmountMinor).toBe(54n);
  });

  it('records the rate in canonical form and is idempotent on it', () => {
    const { events, state } = run([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'),
      requestFxPayout('p-1', '100.00', { ...jpy, fxRate: '151.2370' })]);
    const requested = events[events.length - 1]!;
    expect(requested.type === 'PayoutRequested' && requested.data.conversion?.fxRate).toBe('151.237');
    // The balance is debited in USD exactly as for a payout in USD.
    expect(availableBalanceMinor(state, 'USD', Date.parse(REQUESTED_AT))).toBe(185000n - 10000n);
    given(events).when(requestFxPayout('p-1', '100.00', jpy)).then([]);
    given(events).when(requestFxPayout('p-1', '100.00', { ...jpy, fxRate: '151.24' })).thenRefused('duplicate_payout', 'conflict', 'payoutId');
    given(events).when(requestFxPayout('p-1', '100.00', { ...jpy, fxSource: 'another source' })).thenRefused('duplicate_payout', 'conflict', 'payoutId');
    given(events).when(requestPayout('p-1', '100.00', REQUESTED_AT)).thenRefused('duplicate_payout', 'conflict', 'payoutId');
  });

  it('checks the minimum payout and the available balance in the balance currency', () => {
    given(credited).when(requestFxPayout('p-1', '49.99', jpy)).thenRefused('payout_below_minimum', 'invalid', 'amount');
    given(credited).when(requestFxPayout('p-1', '1850.01', jpy)).thenRefused('payout_above_available', 'conflict', 'amount');
  });

  it('carries the conversion onto the settlement and the failure; a failure returns the balance-currency amount', () => {
    const requested = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'),
      requestFxPayout('p-1', '1234.56', jpy)]);
    const conversion = { payoutCurrency: 'JPY', payoutAmountMinor: 186711n, fxRate: '151.237', fxSource: SOURCE, fxRuleVersion: 1 };
    given(requested).when(settlePayout('p-1', '2026-03-02T00:00:00Z', 'wire-9')).then([{
      type: 'PayoutSettled',
      data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 123456n, settledAt: '2026-03-02T00:00:00.000Z', reference: 'wire-9', conversion },
    }]);
    given(requested).when(failPayout('p-1', '2026-03-02T00:00:00Z')).then([{
      type: 'PayoutFailed',
      data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 123456n, failedAt: '2026-03-02T00:00:00.000Z', reason: 'account closed', conversion },
    }]);
    const { state } = run([failPayout('p-1', '2026-03-02T00:00:00Z')], (() => {
      const { state: before } = run([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'),
        requestFxPayout('p-1', '1234.56', jpy)]);
      return before;
    })());
    expect(availableBalanceMinor(state, 'USD', Date.parse('2026-03-03T00:00:00Z'))).toBe(185000n);
  });

  it('treats payoutCurrency, fxRate and fxSource all null as a payout in the balance currency', () => {
    given(credited).when(requestFxPayout('p-1', '100.00', { payoutCurrency: null, fxRate: null, fxSource: null })).then([{
      type: 'PayoutRequested', data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 10000n, requestedAt: REQUESTED_AT_ISO },
    }]);
  });

  it('refuses a partial conversion, naming the missing field', () => {
    given(credited).when(requestFxPayout('p-1', '100.00', { payoutCurrency: 'JPY' })).thenRefused('field_invalid', 'invalid', 'fxRate');
    given(credited).when(requestFxPayout('p-1', '100.00', { payoutCurrency: 'JPY', fxRate: '151.237' })).thenRefused('field_invalid', 'invalid', 'fxSource');
    given(credited).when(requestFxPayout('p-1', '100.00', { fxRate: '151.237', fxSource: SOURCE })).thenRefused('field_invalid', 'invalid', 'payoutCurrency');
  });

  it('refuses a payout currency that is the balance currency, unknown or not money', () => {
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, payoutCurrency: 'USD' })).thenRefused('field_invalid', 'invalid', 'payoutCurrency');
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, payoutCurrency: 'ABC' })).thenRefused('unknown_currency', 'invalid', 'payoutCurrency');
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, payoutCurrency: 'jpy' })).thenRefused('unknown_currency', 'invalid', 'payoutCurrency');
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, payoutCurrency: 'XAU' })).thenRefused('currency_not_money', 'invalid', 'payoutCurrency');
  });

  it.each([
    ['0'], ['0.000'], ['-151.237'], ['1.5e2'], ['1E2'], [' 151.237'], ['151.237 '], ['0151.237'], ['151,237'], ['.5'], ['5.'], ['+5'],
    ['0.0000000000001'], ['1234567890123456'], ['1.23456789012345678'], ['x'.repeat(40)], ['NaN'], ['Infinity'], [''],
  ])('refuses the rate %j', (fxRate) => {
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, fxRate })).thenRefused('fx_rate_malformed', 'invalid', 'fxRate');
  });

  it('refuses a rate that is a JSON number, and a source that is empty, too long or holds control characters', () => {
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, fxRate: 151.237 })).thenRefused('fx_rate_malformed', 'invalid', 'fxRate');
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, fxSource: ' ' })).thenRefused('field_invalid', 'invalid', 'fxSource');
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, fxSource: 'x'.repeat(201) })).thenRefused('field_invalid', 'invalid', 'fxSource');
    given(credited).when(requestFxPayout('p-1', '100.00', { ...jpy, fxSource: 'ECB\u0000' })).thenRefused('field_invalid', 'invalid', 'fxSource');
  });

  it('accepts the limits of a rate: 15 significant digits, 12 decimals', () => {
    // 100.00 USD at 10^-12 is 10^-10 EUR: rounds to nothing, refused rather than paying 0.
    given(credited).when(requestFxPayout('p-1', '100.00', { payoutCurrency: 'EUR', fxRate: '0.000000000001', fxSource: SOURCE }))
      .thenRefused('payout_converted_amount_zero', 'invalid', 'amount');
    const [largest] = given(credited).when(requestFxPayout('p-1', '100.00', { payoutCurrency: 'EUR', fxRate: '123.456789012345', fxSource: SOURCE })).thenEvents();
    expect(largest!.type === 'PayoutRequested' && largest.data.conversion?.payoutAmountMinor).toBe(1234568n); // 12345.6789012345 EUR
  });

  it('refuses a converted amount above the ledger\'s maximum amount', () => {
    given(credited).when(requestFxPayout('p-1', '1850.00', { payoutCurrency: 'KWD', fxRate: '999999999999999', fxSource: SOURCE }))
      .thenRefused('payout_converted_amount_above_maximum', 'invalid', 'fxRate');
  });
});
