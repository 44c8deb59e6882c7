import {
  availableBalanceMinor, decodeDeveloperEvent, evolveDeveloper, formatMoney, initialDeveloperState, isDeveloperEventType,
  pendingBalanceMinor, type DeveloperState,
} from '@rsi/domain';
import type { PersonalText } from '@rsi/domain';
import { displayedName, type PersonalDataKeys } from '@rsi/database';
import type { EventStore, ExpectedStreamVersion } from '@rsi/event-store';
import { developerStreamName } from '../developer-ledger';
import { eventHashBodyOf } from '../core/event-hash';
import { bookedBefore, parsePeriod } from './accounting-period';
import { MERKLE_SCHEME, MerkleTree } from './merkle-tree';
import type { PeriodSeal } from './period-seal';
import type { StatementLogProofs } from './transparency-log/tree-head';
import { forEachSealLeaf, readSeals, sealCovering } from './period-seal.service';
import type { SealKeyRotation } from './seal-key-chain';
import { balanceEffectOf, statementFiguresOfEvent, type EventBody, type StatementLine } from './statement-line';

export const STATEMENT_FORMAT = 'rsi-ledger/statement/v1';
/** Lines one statement may hold: a JSON statement with proofs takes ~2 kB a line. */
export const STATEMENT_LINES_MAXIMUM = 200_000;
const STREAM_READ_PAGE_EVENTS = 10_000;
const HASH_BYTES = 32;

export type StatementBalance = {
  currency: string;
  /** Everything booked before the period. */
  opening: string;
  /** Σ of the period's positive lines. */
  credits: string;
  /** Σ of the period's negative lines, as a positive amount. */
  debits: string;
  /** opening + credits − debits. */
  closing: string;
  /** Of the closing balance: credits still on hold at the period's end, and the rest. */
  pending: string;
  available: string;
};

export type DeveloperStatement = {
  statementFormat: typeof STATEMENT_FORMAT;
  developerId: string;
  developerName: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  /** Lines are selected by booking time, `periodStart <= recordedAt < periodEnd`. */
  bookingBasis: 'recordedAt';
  /** Pending and available are told apart at this instant (the period's end). */
  balancesAsOf: string;
  balances: StatementBalance[];
  lines: StatementLine[];
  merkleScheme: string;
  /** The seal that covers the period (its own, or the first later one), or null if none does yet. */
  seal: PeriodSeal | null;
  /** The latest signed tree head and each line's inclusion proof in it (transparency-log/statement-log-proofs.ts); added by the CLI. */
  transparencyLog?: StatementLogProofs | null;
  /**
   * The key rotations recorded before the covering seal, in order: with them an auditor who
   * pinned an older or a newer key of the platform can follow the chain to the seal's key.
   */
  sealKeyRotations: SealKeyRotation[];
};

export class UnknownDeveloperError extends Error {
  readonly code = 'unknown_developer';
  constructor(developerId: string) {
    super(`no developer ${JSON.stringify(developerId)} is registered in this ledger`);
    this.name = 'UnknownDeveloperError';
  }
}

/** A byte buffer that doubles as it fills, for millions of 32-byte leaves without millions of objects. */
class GrowingBuffer {
  private buffer = Buffer.alloc(HASH_BYTES * 1024);
  private length = 0;
  append(bytes: Buffer): void {
    if (this.length + bytes.length > this.buffer.length) {
      const larger = Buffer.alloc(this.buffer.length * 2);
      this.buffer.copy(larger, 0, 0, this.length);
      this.buffer = larger;
    }
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }
  contents(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * A developer's statement for a booking period, from the events alone (the developer's
 * stream, and the global order for the proofs), so it holds on either event store and
 * needs no read model.
 */
export async function buildDeveloperStatement(
  store: EventStore, personalDataKeys: PersonalDataKeys, options: { developerId: string; period: string },
): Promise<DeveloperStatement> {
  const period = parsePeriod(options.period);
  const streamName = developerStreamName(options.developerId);
  let state: DeveloperState = initialDeveloperState();
  let registeredName: PersonalText | null = null;
  // An erasure counts whenever it was booked: a statement of an earlier period printed today shows the name erased too.
  let personalDataErased = false;
  const totals = new Map<string, { openingMinor: bigint; creditsMinor: bigint; debitsMinor: bigint }>();
  const totalsOf = (currency: string) => {
    let total = totals.get(currency);
    if (!total) { total = { openingMinor: 0n, creditsMinor: 0n, debitsMinor: 0n }; totals.set(currency, total); }
    return total;
  };
  const lines: StatementLine[] = [];

  let fromStreamVersion = 0n;
  let current: ExpectedStreamVersion = 'no_stream';
  for (;;) {
    const page = await store.readStream(streamName, { fromStreamVersion, maxCount: STREAM_READ_PAGE_EVENTS });
    current = page.currentStreamVersion;
    for (const recorded of page.events) {
      if (!isDeveloperEventType(recorded.type)) continue;
      const event = decodeDeveloperEvent(recorded.type, recorded.data);
      if (event.type === 'DeveloperRegistered') registeredName = event.data.name;
      if (event.type === 'PersonalDataErased') personalDataErased = true;
      const bookedAt = recorded.metadata.recordedAt;
      if (!bookedBefore(bookedAt, period.endIso)) continue;
      state = evolveDeveloper(state, event);
      const effect = balanceEffectOf(event);
      if (effect === null) continue;
      const total = totalsOf(effect.currency);
      if (bookedBefore(bookedAt, period.startIso)) {
        total.openingMinor += effect.amountMinor;
        continue;
      }
      if (effect.amountMinor >= 0n) total.creditsMinor += effect.amountMinor;
      else total.debitsMinor -= effect.amountMinor;
      if (lines.length >= STATEMENT_LINES_MAXIMUM) throw new Error(`a statement holds at most ${STATEMENT_LINES_MAXIMUM} lines; this period has more`);
      const eventBody: EventBody = eventHashBodyOf(recorded, recorded.metadata.previousEventHash);
      lines.push({
        ...statementFiguresOfEvent(event, bookedAt)!,
        eventId: recorded.eventId, eventHash: recorded.metadata.eventHash, eventBody,
        leafIndex: null, proof: null, merkleRoot: null, sealPeriod: null,
      });
    }
    if (page.events.length < STREAM_READ_PAGE_EVENTS) break;
    fromStreamVersion = page.events[page.events.length - 1]!.streamVersion + 1n;
  }
  if (current === 'no_stream' || registeredName === null) throw new UnknownDeveloperError(options.developerId);
  const developerName = displayedName(registeredName, await personalDataKeys.stateOf(options.developerId), personalDataErased);

  const asOfEpochMilliseconds = Date.parse(period.endIso);
  const balances: StatementBalance[] = [...totals.keys()].sort().map((currency) => {
    const total = totals.get(currency)!;
    const money = (amountMinor: bigint) => formatMoney(amountMinor, currency);
    return {
      currency,
      opening: money(total.openingMinor),
      credits: money(total.creditsMinor),
      debits: money(total.debitsMinor),
      closing: money(total.openingMinor + total.creditsMinor - total.debitsMinor),
      pending: money(pendingBalanceMinor(state, currency, asOfEpochMilliseconds)),
      available: money(availableBalanceMinor(state, currency, asOfEpochMilliseconds)),
    };
  });

  const { seals, entries } = await readSeals(store);
  const covering = sealCovering(seals, period);
  const coveringIndex = covering === null ? -1 : entries.findIndex((entry) => entry.event.eventId === covering.event.eventId);
  const sealKeyRotations = entries.slice(0, Math.max(coveringIndex, 0)).flatMap((entry) => (entry.kind === 'rotation' ? [entry.rotation] : []));
  if (covering !== null) await attachProofs(store, covering.seal, lines);

  return {
    statementFormat: STATEMENT_FORMAT,
    developerId: options.developerId, developerName, period: period.name, periodStart: period.startIso, periodEnd: period.endIso,
    bookingBasis: 'recordedAt', balancesAsOf: period.endIso, balances, lines, merkleScheme: MERKLE_SCHEME,
    seal: covering?.seal ?? null, sealKeyRotations,
  };
}

/**
 * Rebuilds the covering seal's tree from the store and draws each line's inclusion proof.
 * The rebuilt root must be the sealed one: if it is not, the ledger changed under the seal
 * and no proof would verify, so the statement refuses rather than print false proofs.
 */
async function attachProofs(store: EventStore, seal: PeriodSeal, lines: StatementLine[]): Promise<void> {
  const wanted = new Map<string, StatementLine>();
  for (const line of lines) wanted.set(line.eventId, line);
  const leaves = new GrowingBuffer();
  await forEachSealLeaf(store, { periodEndIso: seal.periodEnd, lastPosition: seal.lastPosition }, (leaf, recorded, leafIndex) => {
    leaves.append(leaf);
    const line = wanted.get(recorded.eventId);
    if (line) line.leafIndex = leafIndex;
  });
  const tree = MerkleTree.fromLeafBuffer(leaves.contents());
  if (tree.rootHex() !== seal.merkleRoot || tree.leafCount !== seal.eventCount) {
    throw new Error(`integrity: the events no longer give the root of seal ${seal.period} (${seal.merkleRoot}); run "rsi-ledger verify"`);
  }
  for (const line of lines) {
    if (line.leafIndex === null) continue;
    line.proof = tree.proofOf(line.leafIndex);
    line.merkleRoot = seal.merkleRoot;
    line.sealPeriod = seal.period;
  }
}
