import {
  availableBalanceMinor, decodeDeveloperEvent, evolveDeveloper, formatMoney, initialDeveloperState, isDeveloperEventType, parseInstant,
  pendingBalanceMinor, type DeveloperState,
} from '@rsi/domain';
import type { EventStore } from '@rsi/event-store';
import { developerStreamName } from '../developer-ledger';
import { UnknownDeveloperError } from './developer-statement';

const STREAM_READ_PAGE_EVENTS = 10_000;

/** A developer's balances in one currency, in the shape of the balances export. */
export type BookedBalance = { currency: string; pending: string; available: string; refunded: string; payoutsInFlight: string; paid: string; credited: string };

/**
 * A developer's balances as the ledger stood at `bookedAsOf`: only the events booked by then
 * (`recordedAt <= bookedAsOf`) are folded, by the domain's own evolve, and pending is told
 * from available at that same instant. What was booked later (a late receipt with an
 * earlier `occurredAt`, a refund) is not in it; the balances export and the statement give
 * today's reading and the period's.
 */
export async function developerBalancesBookedBy(store: EventStore, options: { developerId: string; bookedAsOf: string }): Promise<BookedBalance[]> {
  const bookedAsOf = parseInstant(options.bookedAsOf, 'bookedAsOf').iso;
  const streamName = developerStreamName(options.developerId);
  let state: DeveloperState = initialDeveloperState();
  let registered = false;
  let fromStreamVersion = 0n;
  for (;;) {
    const page = await store.readStream(streamName, { fromStreamVersion, maxCount: STREAM_READ_PAGE_EVENTS });
    let passed = false;
    for (const recorded of page.events) {
      if (Date.parse(recorded.metadata.recordedAt) > Date.parse(bookedAsOf)) { passed = true; break; }
      if (!isDeveloperEventType(recorded.type)) continue;
      const event = decodeDeveloperEvent(recorded.type, recorded.data);
      if (event.type === 'DeveloperRegistered') registered = true;
      state = evolveDeveloper(state, event);
    }
    if (passed || page.events.length < STREAM_READ_PAGE_EVENTS) break;
    fromStreamVersion = page.events[page.events.length - 1]!.streamVersion + 1n;
  }
  if (!registered) throw new UnknownDeveloperError(options.developerId);
  const asOfEpochMilliseconds = Date.parse(bookedAsOf);
  return [...state.balances.keys()].sort().map((currency) => {
    const balance = state.balances.get(currency)!;
    let inFlightMinor = 0n;
    let paidMinor = 0n;
    for (const payout of state.payouts.values()) {
      if (payout.currency !== currency) continue;
      if (payout.status === 'pending') inFlightMinor += payout.amountMinor;
      else if (payout.status === 'settled') paidMinor += payout.amountMinor;
    }
    const money = (amountMinor: bigint) => formatMoney(amountMinor, currency);
    return {
      currency,
      pending: money(pendingBalanceMinor(state, currency, asOfEpochMilliseconds)),
      available: money(availableBalanceMinor(state, currency, asOfEpochMilliseconds)),
      refunded: money(balance.refundDebitTotalMinor),
      payoutsInFlight: money(inFlightMinor),
      paid: money(paidMinor),
      credited: money(balance.creditTotalMinor),
    };
  });
}
