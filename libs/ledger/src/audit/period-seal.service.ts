import type { KeyObject } from 'node:crypto';
import { parseInstant } from '../../../domain/src';
import { deriveEventId } from '../../../event-store/src/event-id';
import {
  DuplicateEventIdError, StreamVersionConflictError, type EventMetadata, type EventStore, type ExpectedStreamVersion, type GlobalPosition, type NewEvent,
  type RecordedEvent,
} from '../../../event-store/src/event-store.port';
import { EVENT_SCHEMA_VERSION } from '../ledger-command.service';
import { EVENT_HASH_SCHEME_CURRENT, eventHashBodyV2Of, GENESIS_EVENT_HASH, hashOfEventBody } from '../event-hash';
import { bookedBefore, nextPeriod, parsePeriod, type AccountingPeriod } from './accounting-period';
import { readEventsInGlobalOrder } from './global-event-reader';
import { MERKLE_SCHEME, MerkleRootAccumulator, merkleLeafOf } from './merkle-tree';
import {
  decodePeriodSeal, encodePeriodSeal, PERIOD_SEALED_EVENT_TYPE, SEALS_STREAM_NAME, signSeal, type PeriodSeal, type SealPosition,
} from './period-seal';
import { publicKeyPemOf } from './seal-signing-key';

/** Seals are one per month: a century of them is far below this. */
const SEALS_READ_MAXIMUM = 10_000;
const CONFLICT_ATTEMPTS_MAXIMUM = 5;

export type SealRefusalCode = 'period_not_ended' | 'period_out_of_order' | 'seal_differs';

export class SealRefusedError extends Error {
  constructor(readonly code: SealRefusalCode, message: string) {
    super(message);
    this.name = 'SealRefusedError';
  }
}

export type RecordedSeal = { seal: PeriodSeal; event: RecordedEvent };
export type SealOutcome = { status: 'sealed' | 'already_sealed'; seal: PeriodSeal; eventId: string };

export function sealCommandId(period: string): string {
  return `SealPeriod:${period}`;
}

export function positionOf(position: SealPosition): GlobalPosition {
  return { commit: BigInt(position.commit), prepare: BigInt(position.prepare) };
}

/** Every seal, in the order they were appended (which is period order). */
export async function readSeals(store: EventStore): Promise<{ seals: RecordedSeal[]; version: ExpectedStreamVersion; lastEventHash: string }> {
  const read = await store.readStream(SEALS_STREAM_NAME, { maxCount: SEALS_READ_MAXIMUM });
  if (read.events.length >= SEALS_READ_MAXIMUM) throw new Error(`more than ${SEALS_READ_MAXIMUM} seals: not a monthly ledger`);
  const seals = read.events
    .filter((event) => event.type === PERIOD_SEALED_EVENT_TYPE)
    .map((event) => ({ seal: decodePeriodSeal(event.data), event }));
  const last = read.events[read.events.length - 1];
  return { seals, version: read.currentStreamVersion, lastEventHash: last ? last.metadata.eventHash : GENESIS_EVENT_HASH };
}

/**
 * Whether an event is a leaf of the seal that ends at `periodEndIso` and (when sealed)
 * stopped at `lastPosition`. The position bound makes the set fixed once sealed: an event
 * booked into the period after its seal is not silently added (verify reports it).
 */
export function isSealLeaf(recorded: RecordedEvent, periodEndIso: string): boolean {
  return bookedBefore(recorded.metadata.recordedAt, periodEndIso);
}

/**
 * Reads the leaves of a seal in global order: every event booked before `periodEndIso`, up
 * to `lastPosition` when given (a recorded seal), else up to the store's head (a new seal).
 */
export async function forEachSealLeaf(
  store: EventStore,
  bounds: { periodEndIso: string; lastPosition: SealPosition | null | 'head' },
  onLeaf: (leaf: Buffer, recorded: RecordedEvent, leafIndex: number) => void,
): Promise<void> {
  if (bounds.lastPosition === null) return;
  const until = bounds.lastPosition === 'head' ? undefined : positionOf(bounds.lastPosition);
  let leafIndex = 0;
  await readEventsInGlobalOrder(store, (events) => {
    for (const recorded of events) {
      if (!isSealLeaf(recorded, bounds.periodEndIso)) continue;
      onLeaf(merkleLeafOf(recorded.metadata.eventHash, recorded.metadata.recordedAt), recorded, leafIndex);
      leafIndex += 1;
    }
  }, { until });
}

/** The Merkle root, count and last position of the events booked before the end of `period`, now. */
export async function computeSealContent(store: EventStore, period: AccountingPeriod): Promise<{ merkleRoot: string; eventCount: number; lastPosition: SealPosition | null }> {
  const accumulator = new MerkleRootAccumulator();
  let lastPosition: SealPosition | null = null;
  await forEachSealLeaf(store, { periodEndIso: period.endIso, lastPosition: 'head' }, (leaf, recorded) => {
    accumulator.add(leaf);
    lastPosition = { commit: recorded.globalPosition.commit.toString(), prepare: recorded.globalPosition.prepare.toString() };
  });
  return { merkleRoot: accumulator.rootHex(), eventCount: accumulator.leafCount, lastPosition };
}

/**
 * Seals a period: refused before the period has ended on the store's ledger clock and out
 * of order (after the first seal, only the month after the latest may be sealed); a period
 * already sealed is `already_sealed` if its events still give the same root, and refused if
 * they do not (an event was booked into it after its seal).
 *
 * No event can be booked into the period after its seal: the seal first advances the ledger
 * clock under the lock every append takes (`advanceLedgerClock`) and refuses unless the
 * period has ended by it; every append after that is booked later, so outside the period.
 * The seal event itself is booked at commit (`sealedAt` = its booking time) unless the
 * caller gives `sealedAt` (tests that book a ledger at chosen past instants).
 */
export async function sealPeriod(
  store: EventStore,
  options: { period: string; sealedAt?: string; signingKey: () => KeyObject; actor: string },
): Promise<SealOutcome> {
  const period = parsePeriod(options.period);
  const requestedSealedAt = options.sealedAt === undefined ? undefined : parseInstant(options.sealedAt, 'sealedAt').iso;
  // A store without a ledger clock (EventStoreDB) books on this process's clock.
  const ledgerClock = store.advanceLedgerClock ? await store.advanceLedgerClock() : (requestedSealedAt ?? new Date().toISOString());
  if ((requestedSealedAt ?? ledgerClock) < period.endIso || ledgerClock < period.endIso) {
    throw new SealRefusedError('period_not_ended', `period ${period.name} has not ended yet: it can be sealed from ${period.endIso} on`);
  }
  const eventId = deriveEventId(sealCommandId(period.name), 0);
  for (let attempt = 1; ; attempt += 1) {
    const { seals, version, lastEventHash } = await readSeals(store);
    const existing = seals.find((recorded) => recorded.seal.period === period.name);
    const content = existing || seals.length === 0 || nextPeriod(parsePeriod(seals[seals.length - 1]!.seal.period)).name === period.name
      ? await computeSealContent(store, period)
      : null;
    if (existing) {
      if (content!.merkleRoot === existing.seal.merkleRoot && content!.eventCount === existing.seal.eventCount) {
        return { status: 'already_sealed', seal: existing.seal, eventId: existing.event.eventId };
      }
      throw new SealRefusedError('seal_differs',
        `period ${period.name} is already sealed with root ${existing.seal.merkleRoot} over ${existing.seal.eventCount} events, ` +
        `but its events now give ${content!.merkleRoot} over ${content!.eventCount}: something was booked into it after its seal (run verify)`);
    }
    if (content === null) {
      const expected = nextPeriod(parsePeriod(seals[seals.length - 1]!.seal.period)).name;
      throw new SealRefusedError('period_out_of_order', `periods are sealed in order: the next period to seal is ${expected}, not ${period.name}`);
    }
    // The key is asked for only now, so that a refused seal never creates a key file.
    const privateKey = options.signingKey();
    const publicKeyPem = publicKeyPemOf(privateKey);
    const streamVersion = version === 'no_stream' ? 0n : version + 1n;
    // Signed once the booking time is known: the seal's `sealedAt` is its event's booking time.
    let seal: PeriodSeal | undefined;
    const sealEventAt = (sealedAt: string): NewEvent => {
      seal = signSeal({
        period: period.name, periodStart: period.startIso, periodEnd: period.endIso, merkleScheme: MERKLE_SCHEME,
        merkleRoot: content.merkleRoot, eventCount: content.eventCount, lastPosition: content.lastPosition, sealedAt,
      }, privateKey, publicKeyPem);
      const data = encodePeriodSeal(seal);
      const metadata: EventMetadata = {
        commandId: sealCommandId(period.name), actor: options.actor, recordedAt: sealedAt, schemaVersion: EVENT_SCHEMA_VERSION,
        hashScheme: EVENT_HASH_SCHEME_CURRENT, previousEventHash: lastEventHash, eventHash: '',
      };
      metadata.eventHash = hashOfEventBody(eventHashBodyV2Of({ streamName: SEALS_STREAM_NAME, streamVersion, eventId, type: PERIOD_SEALED_EVENT_TYPE, data, metadata }, lastEventHash));
      return { eventId, type: PERIOD_SEALED_EVENT_TYPE, data, metadata };
    };
    try {
      await store.appendToStream(SEALS_STREAM_NAME, [sealEventAt(requestedSealedAt ?? ledgerClock)], {
        expectedStreamVersion: version,
        complete: requestedSealedAt !== undefined ? undefined
          : (bookedAt) => [{ streamName: SEALS_STREAM_NAME, expectedStreamVersion: version, events: [sealEventAt(bookedAt)] }],
      });
      return { status: 'sealed', seal: seal!, eventId };
    } catch (error) {
      // Another process sealed at the same time: read again, and the seal it wrote answers.
      const concurrent = error instanceof StreamVersionConflictError || error instanceof DuplicateEventIdError;
      if (!concurrent || attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw error;
    }
  }
}

/** The seal that covers a booking period: the period's own seal, or else the first later one (seals are cumulative). */
export function sealCovering(seals: readonly RecordedSeal[], period: AccountingPeriod): RecordedSeal | null {
  let covering: RecordedSeal | null = null;
  for (const recorded of seals) {
    if (recorded.seal.periodEnd < period.endIso) continue;
    if (covering === null || recorded.seal.periodEnd < covering.seal.periodEnd) covering = recorded;
  }
  return covering;
}
