import {
  canonicalJson, conversionFailure, decideDeveloper, decodeDeveloperEvent, encodeDeveloperEvent, evolveDeveloper, initialDeveloperState, isDeveloperEventType, isReservedParty, type DeveloperEvent, type DeveloperState, isProtectedText,
} from '@rsi/domain';
import type { GlobalPosition, RecordedEvent } from '@rsi/event-store';
import { formatPosition } from '@rsi/projections';
import { EVENT_HASH_SCHEME_COVERAGE, eventHashSchemeOf, expectedEventHashOf, GENESIS_EVENT_HASH } from '../core/event-hash';
import { commandBehind } from './command-behind';

/** Failures listed in the report per check; the count goes on beyond it. */
export const FAILURES_LISTED_MAXIMUM = 50;

/**
 * One finding with where it was met: the event's global position, then the order of the
 * findings within that event. Sorting by these gives the order a pass in global order
 * meets them in, whichever order (and whichever worker) actually met them.
 */
export type PositionedFinding = { commit: bigint; prepare: bigint; sequence: number; message: string };

export function compareFindings(left: PositionedFinding, right: PositionedFinding): number {
  if (left.commit !== right.commit) return left.commit < right.commit ? -1 : 1;
  if (left.prepare !== right.prepare) return left.prepare < right.prepare ? -1 : 1;
  return left.sequence - right.sequence;
}

/**
 * A check's counts and its first `FAILURES_LISTED_MAXIMUM` failures in global order. The
 * failures may arrive in any order (a worker reads stream by stream): it keeps the smallest
 * ones, bounded (it sorts and cuts when twice the listed maximum have gathered).
 */
export class FindingTally {
  checked = 0;
  failures = 0;
  listed: PositionedFinding[] = [];

  pass(): void { this.checked += 1; }

  fail(finding: PositionedFinding): void {
    this.checked += 1;
    this.failures += 1;
    this.listed.push(finding);
    if (this.listed.length >= 2 * FAILURES_LISTED_MAXIMUM) this.cut();
  }

  /** Adds another tally's counts and failures (the tallies of disjoint sets of streams). */
  merge(other: FindingTallyData): void {
    this.checked += other.checked;
    this.failures += other.failures;
    for (const finding of other.listed) this.listed.push(finding);
    this.cut();
  }

  /** The listed failures' messages, in global order. */
  messages(): string[] {
    this.cut();
    return this.listed.map((finding) => finding.message);
  }

  data(): FindingTallyData {
    this.cut();
    return { checked: this.checked, failures: this.failures, listed: this.listed };
  }

  private cut(): void {
    this.listed.sort(compareFindings);
    if (this.listed.length > FAILURES_LISTED_MAXIMUM) this.listed.length = FAILURES_LISTED_MAXIMUM;
  }
}

export type FindingTallyData = { checked: number; failures: number; listed: PositionedFinding[] };

/** What the per-stream checks found, as plain data (it crosses from a worker thread by structured clone). */
export type StreamPassResult = {
  eventsObserved: number;
  chain: FindingTallyData;
  recompute: FindingTallyData;
  sums: FindingTallyData;
  conversions: FindingTallyData;
  parties: FindingTallyData;
  namesProtected: number;
  /** Developers registered with a plaintext name, with the position of the registration. */
  namesInPlaintext: { position: GlobalPosition; developerId: string }[];
  /** Developers whose personal data was erased, with the position of the erasure. */
  erasures: { position: GlobalPosition; developerId: string }[];
};

/** The one name of an event in every finding: stream and version, type, id and global position. */
export function nameOf(recorded: RecordedEvent): string {
  return `${recorded.streamName}@${recorded.streamVersion} ${recorded.type} (event ${recorded.eventId}, position ${formatPosition(recorded.globalPosition)})`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function comparePositions(left: GlobalPosition, right: GlobalPosition): number {
  if (left.commit !== right.commit) return left.commit < right.commit ? -1 : 1;
  if (left.prepare !== right.prepare) return left.prepare < right.prepare ? -1 : 1;
  return 0;
}

/**
 * The checks whose state is one stream's alone: its hash chain and versions, and, for a
 * developer stream, every event decided again by the domain from the state before it, its
 * lines summed, its contract parties, and the personal data it records.
 *
 * Every stream's events must be observed in global order (the order `verify` has always
 * read them in: a moved event is then found where it now stands), but the streams may be
 * interleaved in any way: in global order by one pass over the whole store, or one stream
 * after the other by a worker reading its share of the streams. `endStream` forgets a
 * stream's state, so a reader going stream by stream holds one stream's state at a time.
 */
export class StreamPass {
  readonly chain = new FindingTally();
  readonly recompute = new FindingTally();
  readonly sums = new FindingTally();
  readonly conversions = new FindingTally();
  readonly parties = new FindingTally();
  private readonly streams = new Map<string, { version: bigint; lastEventHash: string }>();
  private readonly developerStates = new Map<string, DeveloperState>();
  private readonly unreplayableStreams = new Set<string>();
  private readonly namesInPlaintext: { position: GlobalPosition; developerId: string }[] = [];
  private readonly erasures: { position: GlobalPosition; developerId: string }[] = [];
  private namesProtected = 0;
  private eventsObserved = 0;
  /** Order of the findings within the event being observed. */
  private sequence = 0;
  private current: RecordedEvent | null = null;

  /** Every step is guarded: whatever an event holds, it becomes a finding naming it, and the other checks go on. */
  observe(recorded: RecordedEvent): void {
    this.eventsObserved += 1;
    this.current = recorded;
    this.sequence = 0;
    this.checkChain(recorded);
    if (isDeveloperEventType(recorded.type) && !this.unreplayableStreams.has(recorded.streamName)) this.recomputeEvent(recorded);
  }

  /** The stream's events have all been observed: its state is no longer needed. */
  endStream(streamName: string): void {
    this.streams.delete(streamName);
    this.developerStates.delete(streamName);
    this.unreplayableStreams.delete(streamName);
  }

  result(): StreamPassResult {
    return {
      eventsObserved: this.eventsObserved,
      chain: this.chain.data(), recompute: this.recompute.data(), sums: this.sums.data(), conversions: this.conversions.data(), parties: this.parties.data(),
      namesProtected: this.namesProtected, namesInPlaintext: this.namesInPlaintext, erasures: this.erasures,
    };
  }

  private failIn(tally: FindingTally, message: string): void {
    const position = this.current!.globalPosition;
    tally.fail({ commit: position.commit, prepare: position.prepare, sequence: this.sequence, message });
    this.sequence += 1;
  }

  private checkChain(recorded: RecordedEvent): void {
    const { chain } = this;
    const stream = this.streams.get(recorded.streamName) ?? { version: -1n, lastEventHash: GENESIS_EVENT_HASH };
    try {
      // The scheme the event names decides what its hash covers: scheme 1 events (written
      // before scheme 2) still verify, and the finding says what could have been changed.
      const scheme = eventHashSchemeOf(recorded.metadata);
      const expectedHash = expectedEventHashOf(recorded, stream.lastEventHash);
      if (recorded.streamVersion !== stream.version + 1n) this.failIn(chain, `${recorded.streamName}@${recorded.streamVersion}: expected version ${stream.version + 1n}`);
      else if (recorded.metadata.previousEventHash !== stream.lastEventHash) this.failIn(chain, `${recorded.streamName}@${recorded.streamVersion}: previous hash does not match`);
      else if (recorded.metadata.eventHash !== expectedHash) {
        this.failIn(chain, `${recorded.streamName}@${recorded.streamVersion}: event hash does not match its body (hash scheme ${scheme} covers ${EVENT_HASH_SCHEME_COVERAGE[scheme]})`);
      } else chain.pass();
    } catch (error) {
      this.failIn(chain, `${nameOf(recorded)}: its hash cannot be computed: ${messageOf(error)}`);
    }
    this.streams.set(recorded.streamName, { version: recorded.streamVersion, lastEventHash: String(recorded.metadata.eventHash) });
  }

  /** A recorded contract (registration or amendment) whose carve-out party collides with the ledger's own accounts is a finding. */
  private checkContractParties(event: DeveloperEvent, where: string): void {
    if (event.type !== 'AppRegistered' && event.type !== 'ContractAmended') return;
    const contract = event.data.contract;
    // Decoded terms are the canonical document of parsed terms: carveOuts is always an array.
    const carveOuts = contract.terms.carveOuts as readonly { party: string }[];
    const reserved = carveOuts.map((carveOut) => carveOut.party).filter(isReservedParty);
    if (reserved.length === 0) this.parties.pass();
    else this.failIn(this.parties, `${where} ${event.type} ${event.data.appId} v${contract.version}: carve-out part${reserved.length === 1 ? 'y' : 'ies'} ${reserved.map((party) => JSON.stringify(party)).join(', ')} in a reserved namespace`);
  }

  /**
   * A payout in another currency (docs/domain.md "Payouts in another currency"): the request's
   * converted amount is recomputed from its amount and rate under the rule it names; a settlement
   * or failure must repeat the request's conversion (or, like the request, have none).
   */
  private checkPayoutConversion(event: DeveloperEvent, state: DeveloperState, where: string): void {
    const { conversions } = this;
    if (event.type === 'PayoutRequested') {
      if (event.data.conversion === undefined) return;
      const failure = conversionFailure(event.data, event.data.conversion);
      if (failure === null) conversions.pass();
      else this.failIn(conversions, `${where}: ${failure}`);
      return;
    }
    if (event.type !== 'PayoutSettled' && event.type !== 'PayoutFailed') return;
    const requested = state.payouts.get(event.data.payoutId)?.conversion ?? null;
    const outcome = event.data.conversion ?? null;
    if (requested === null && outcome === null) return;
    const encode = (conversion: typeof outcome) => (conversion === null ? 'none' : canonicalJson({ ...conversion, payoutAmountMinor: conversion.payoutAmountMinor.toString() }));
    if (encode(requested) === encode(outcome)) conversions.pass();
    else this.failIn(conversions, `${where}: conversion ${encode(outcome)} differs from the request's ${encode(requested)}`);
  }

  private recomputeEvent(recorded: RecordedEvent): void {
    const { recompute, sums, parties } = this;
    let event: DeveloperEvent;
    try {
      event = decodeDeveloperEvent(recorded.type, recorded.data);
    } catch (error) {
      this.unreplayableStreams.add(recorded.streamName);
      this.failIn(recompute, `${nameOf(recorded)}: cannot be decoded, so neither it nor the rest of its stream is recomputed: ${messageOf(error)}`);
      return;
    }
    if (event.type === 'DeveloperRegistered') {
      if (isProtectedText(event.data.name)) this.namesProtected += 1;
      else this.namesInPlaintext.push({ position: recorded.globalPosition, developerId: event.data.developerId });
    }
    if (event.type === 'PersonalDataErased') this.erasures.push({ position: recorded.globalPosition, developerId: event.data.developerId });
    try {
      this.checkContractParties(event, `${recorded.streamName}@${recorded.streamVersion}`);
    } catch (error) {
      this.failIn(parties, `${nameOf(recorded)}: its contract parties cannot be read: ${messageOf(error)}`);
    }
    const state = this.developerStates.get(recorded.streamName) ?? initialDeveloperState();
    try {
      this.checkPayoutConversion(event, state, nameOf(recorded));
    } catch (error) {
      this.failIn(this.conversions, `${nameOf(recorded)}: its conversion cannot be checked: ${messageOf(error)}`);
    }
    let command;
    try {
      command = commandBehind(event);
    } catch (error) {
      this.failIn(recompute, `${nameOf(recorded)}: the command behind it cannot be rebuilt: ${messageOf(error)}`);
      command = null;
    }
    if (command) {
      try {
        // Decided again at the booking time it was recorded at, so the business-time
        // bounds are those the command met then.
        const decided = decideDeveloper(command, state, { bookedAt: recorded.metadata.recordedAt });
        // A payout run's assessment is decided together with the PayoutRequested that follows it (when it paid).
        const expectedCount = event.type === 'PayoutRunAssessed' ? (event.data.payoutId === null ? 1 : 2) : 1;
        const same = decided.length === expectedCount && canonicalJson(encodeDeveloperEvent(decided[0]).data) === canonicalJson(recorded.data);
        if (same) recompute.pass();
        else this.failIn(recompute, `${nameOf(recorded)}: recomputed ${canonicalJson(decided.map((item) => encodeDeveloperEvent(item)))} differs from recorded`);
      } catch (error) {
        this.failIn(recompute, `${nameOf(recorded)}: the domain refuses it now: ${messageOf(error)}`);
      }
      // Splits, refunds and disputes have lines; a payout run's assessment has none.
      if ('lines' in event.data) {
        try {
          const data = event.data as { amountMinor: bigint; lines: { party: string; amountMinor: bigint }[] };
          const total = data.lines.reduce((sum, line) => sum + line.amountMinor, 0n);
          if (total !== data.amountMinor || data.lines.some((line) => line.amountMinor < 0n)) this.failIn(sums, `${nameOf(recorded)}: lines sum to ${total}, amount ${data.amountMinor}`);
          else sums.pass();
        } catch (error) {
          this.failIn(sums, `${nameOf(recorded)}: its lines cannot be summed: ${messageOf(error)}`);
        }
      }
    }
    try {
      this.developerStates.set(recorded.streamName, evolveDeveloper(state, event));
    } catch (error) {
      // E.g. a split naming a contract version the app never had: the state after it is
      // unknown, so the rest of the stream cannot be recomputed; the other streams go on.
      this.unreplayableStreams.add(recorded.streamName);
      this.failIn(recompute, `${nameOf(recorded)}: the state of its stream cannot take it, so the rest of its stream is not recomputed: ${messageOf(error)}`);
    }
  }
}

/** Adds the results of passes over disjoint sets of streams: the same result as one pass over them all. */
export function mergeStreamPassResults(results: readonly StreamPassResult[]): StreamPassResult {
  const merged = { chain: new FindingTally(), recompute: new FindingTally(), sums: new FindingTally(), conversions: new FindingTally(), parties: new FindingTally() };
  let eventsObserved = 0;
  let namesProtected = 0;
  const namesInPlaintext: StreamPassResult['namesInPlaintext'] = [];
  const erasures: StreamPassResult['erasures'] = [];
  for (const result of results) {
    eventsObserved += result.eventsObserved;
    namesProtected += result.namesProtected;
    merged.chain.merge(result.chain);
    merged.recompute.merge(result.recompute);
    merged.sums.merge(result.sums);
    merged.conversions.merge(result.conversions);
    merged.parties.merge(result.parties);
    namesInPlaintext.push(...result.namesInPlaintext);
    erasures.push(...result.erasures);
  }
  namesInPlaintext.sort((left, right) => comparePositions(left.position, right.position));
  erasures.sort((left, right) => comparePositions(left.position, right.position));
  return {
    eventsObserved, chain: merged.chain.data(), recompute: merged.recompute.data(), sums: merged.sums.data(), conversions: merged.conversions.data(), parties: merged.parties.data(),
    namesProtected, namesInPlaintext, erasures,
  };
}
