import { deliveryBodyOf, publicEventData } from './webhook-event-body';

describe('the public shape of an event in a webhook delivery', () => {
  it('turns every *Minor amount into a decimal string of its currency, in nested lines too', () => {
    const data = { receiptId: 'r-1', currency: 'USD', amountMinor: '12050', lines: [{ party: 'developer', amountMinor: '10845' }, { party: 'platform', amountMinor: '1205' }] };
    expect(publicEventData('RevenueRecorded', data)).toEqual({
      receiptId: 'r-1', currency: 'USD', amount: '120.50', lines: [{ party: 'developer', amount: '108.45' }, { party: 'platform', amount: '12.05' }],
    });
    expect(publicEventData('PayoutRequested', { currency: 'JPY', amountMinor: '500' })).toEqual({ currency: 'JPY', amount: '500' });
  });

  it('leaves an amount without a known currency in minor units, and never sends a developer\'s name', () => {
    expect(publicEventData('Other', { amountMinor: '5' })).toEqual({ amountMinor: '5' });
    expect(publicEventData('Other', { currency: 'XYZ1', amountMinor: '5' })).toEqual({ currency: 'XYZ1', amountMinor: '5' });
    expect(publicEventData('DeveloperRegistered', { developerId: 'd-1', name: { scheme: 'x', ciphertext: 'y', commitment: 'z' }, country: 'NG' }))
      .toEqual({ developerId: 'd-1', country: 'NG' });
  });

  it('carries the event id, type, stream, global position and booking time', () => {
    const body = JSON.parse(deliveryBodyOf('sub-1', {
      eventId: 'e-1', type: 'PayoutSettled', streamName: 'developer-d-1', streamVersion: 7n, globalPosition: { commit: 12n, prepare: 34n },
      data: { currency: 'EUR', amountMinor: '100' }, metadata: { recordedAt: '2026-02-01T00:00:00.000Z' } as never,
    })) as Record<string, unknown>;
    expect(body).toEqual({
      subscriptionId: 'sub-1', eventId: 'e-1', type: 'PayoutSettled', stream: 'developer-d-1', streamVersion: '7', globalPosition: '12/34',
      bookingTime: '2026-02-01T00:00:00.000Z', data: { currency: 'EUR', amount: '1.00' },
    });
  });
});
