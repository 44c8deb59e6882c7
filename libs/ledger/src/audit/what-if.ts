import {
  contractVersionRecord, decideDeveloper, decodeDeveloperEvent, DomainError, evolveDeveloper, formatMoney, initialDeveloperState,
  isDeveloperEventType, parseContractTerms, parseInstant, type DeveloperEvent, type DeveloperState, type SplitLine,
} from '@rsi/domain';
import type { EventStore } from '@rsi/event-store';
import { developerStreamName } from '../developer-ledger';
import { commandBehind } from './command-behind';

const STREAM_READ_PAGE_EVENTS = 10_000;
/** Refusals listed in the report; the count goes on. */
const REFUSALS_LISTED_MAXIMUM = 20;

export type WhatIfPartyFigures = { party: string; recorded: string; whatIf: string; difference: string };
export type WhatIfReport = {
  appId: string;
  developerId: string;
  currency: string;
  from: string | null;
  to: string | null;
  receiptsCompared: number;
  refundsCompared: number;
  /** Receipts or refunds that the what-if terms refuse (a currency mismatch, say): left out of both columns. */
  refusedCount: number;
  refusals: string[];
  /** Net of refunds, per party; `platform share` is platform + carve-outs of the platform. */
  parties: WhatIfPartyFigures[];
};

/**
 * Replays the developer's recorded receipts and refunds, in their recorded order, through
 * the domain's own decider into a scratch in-memory state in which the app's contract is
 * replaced by `contractTerms` (from the app's first version's effectiveFrom on, so that
 * every recorded receipt falls under it). The other apps keep their recorded contracts, and
 * all of the developer's receipts are decided again, because tier thresholds and caps with
 * scope `developer` count them. Payouts are left out: they do not move splits. Nothing is
 * written; the recorded figures come from the same events.
 */
export async function whatIfContract(
  store: EventStore,
  options: { appId: string; developerId: string; contractTerms: unknown; from?: string; to?: string },
): Promise<WhatIfReport> {
  const from = options.from === undefined ? null : parseInstant(options.from, 'from').iso;
  const to = options.to === undefined ? null : parseInstant(options.to, 'to').iso;
  if (options.contractTerms === null || typeof options.contractTerms !== 'object' || Array.isArray(options.contractTerms)) {
    throw new Error('the what-if contract must be a JSON object of contract terms');
  }
  const inWindow = (occurredAt: string) => (from === null || occurredAt >= from) && (to === null || occurredAt < to);
  let scratch: DeveloperState = initialDeveloperState();
  let currency: string | null = null;
  const recordedByParty = new Map<string, bigint>();
  const whatIfByParty = new Map<string, bigint>();
  const add = (totals: Map<string, bigint>, lines: readonly SplitLine[], sign: 1n | -1n) => {
    for (const line of lines) totals.set(line.party, (totals.get(line.party) ?? 0n) + sign * line.amountMinor);
  };
  const refusals: string[] = [];
  let refusedCount = 0;
  let receiptsCompared = 0;
  let refundsCompared = 0;
  const refusedReceipts = new Set<string>();

  let fromStreamVersion = 0n;
  for (;;) {
    const page = await store.readStream(developerStreamName(options.developerId), { fromStreamVersion, maxCount: STREAM_READ_PAGE_EVENTS });
    for (const recorded of page.events) {
      if (!isDeveloperEventType(recorded.type)) continue;
      const event = decodeDeveloperEvent(recorded.type, recorded.data);
      if (event.type === 'AppRegistered' && event.data.appId === options.appId) {
        currency = String((event.data.contract.terms as { currency?: unknown }).currency);
        const terms = parseContractTerms({ ...(options.contractTerms as object), effectiveFrom: event.data.contract.effectiveFrom }, 'contract');
        scratch = evolveDeveloper(scratch, { type: 'AppRegistered', data: { ...event.data, contract: contractVersionRecord(1, terms) } });
        continue;
      }
      if (event.type === 'ContractAmended' && event.data.appId === options.appId) continue;
      if (event.type === 'PayoutRequested' || event.type === 'PayoutSettled' || event.type === 'PayoutFailed' || event.type === 'PayoutRunAssessed') continue;
      const command = commandBehind(event);
      if (command === null) {
        scratch = evolveDeveloper(scratch, event);
        continue;
      }
      const data = event.data as { appId: string; receiptId: string; occurredAt?: string; openedAt?: string; resolvedAt?: string; lines: SplitLine[] };
      // A dispute counts when it opened (a reversal) and when it was won (given back); a lost dispute moves nothing more.
      const businessTime = data.occurredAt ?? data.openedAt ?? data.resolvedAt ?? '';
      const movesLines = !(event.type === 'DisputeResolved' && event.data.outcome === 'lost');
      const compared = movesLines && data.appId === options.appId && inWindow(businessTime) && !refusedReceipts.has(data.receiptId);
      let decided: DeveloperEvent[];
      try {
        decided = decideDeveloper(command, scratch, { bookedAt: recorded.metadata.recordedAt });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (event.type === 'RevenueRecorded') refusedReceipts.add(data.receiptId);
        if (data.appId === options.appId) {
          refusedCount += 1;
          if (refusals.length < REFUSALS_LISTED_MAXIMUM) refusals.push(`${command.type} ${JSON.stringify(command.data)}: ${error.message}`);
        }
        continue;
      }
      for (const decidedEvent of decided) scratch = evolveDeveloper(scratch, decidedEvent);
      if (!compared || decided.length !== 1) continue;
      const whatIfLines = (decided[0]!.data as { lines: SplitLine[] }).lines;
      const sign = event.type === 'RevenueRecorded' || event.type === 'DisputeResolved' ? 1n : -1n;
      add(recordedByParty, data.lines, sign);
      add(whatIfByParty, whatIfLines, sign);
      if (event.type === 'RevenueRecorded') receiptsCompared += 1;
      else refundsCompared += 1;
    }
    if (page.events.length < STREAM_READ_PAGE_EVENTS) break;
    fromStreamVersion = page.events[page.events.length - 1]!.streamVersion + 1n;
  }
  if (currency === null) throw new Error(`no app ${JSON.stringify(options.appId)} is registered to developer ${options.developerId}`);

  const developerParty = `developer:${options.developerId}`;
  const parties = [...new Set([...recordedByParty.keys(), ...whatIfByParty.keys()])].sort((left, right) => rank(left, developerParty) - rank(right, developerParty) || left.localeCompare(right));
  const money = (amountMinor: bigint) => formatMoney(amountMinor, currency!);
  const figures = parties.map((party) => {
    const recorded = recordedByParty.get(party) ?? 0n;
    const whatIf = whatIfByParty.get(party) ?? 0n;
    return { party, recorded: money(recorded), whatIf: money(whatIf), difference: money(whatIf - recorded) };
  });
  return {
    appId: options.appId, developerId: options.developerId, currency, from, to, receiptsCompared, refundsCompared, refusedCount, refusals, parties: figures,
  };
}

/** Platform first, the developer last, carve-outs between. */
function rank(party: string, developerParty: string): number {
  if (party === 'platform') return 0;
  if (party === developerParty) return 2;
  return 1;
}
