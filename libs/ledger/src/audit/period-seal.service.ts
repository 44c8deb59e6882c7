import type { KeyObject } from 'node:crypto';
import { parseInstant } from '@rsi/domain';
import {
  deriveEventId, DuplicateEventIdError, StreamVersionConflictError, type EventMetadata, type EventStore, type ExpectedStreamVersion, type GlobalPosition, type JsonObject, type NewEvent, type RecordedEvent,
} from '@rsi/event-store';
import { EVENT_SCHEMA_VERSION } from '../write-pipeline/command-write.pipeline';
import { EVENT_HASH_SCHEME_CURRENT, eventHashBodyV2Of, GENESIS_EVENT_HASH, hashOfEventBody } from '../core/event-hash';
import { bookedBefore, nextPeriod, parsePeriod, type AccountingPeriod } from './accounting-period';
import { readEventsInGlobalOrder } from './global-event-reader';
import { MERKLE_SCHEME, MerkleRootAccumulator, merkleLeafOf } from './merkle-tree';
import {
  decodePeriodSeal, encodePeriodSeal, PERIOD_SEALED_EVENT_TYPE, SEAL_SIGNATURE_SCHEME, SEALS_STREAM_NAME, signSeal, type PeriodSeal, type SealPosition,
} from './period-seal';
import {
  decodeSealKeyRotation, encodeSealKeyRotation, publicKeyFingerprint, SEAL_KEY_ROTATED_EVENT_TYPE, sealChainHead, signRotation,
  type SealKeyRotation, type SealStreamEntry,
} from './seal-key-chain';
import { publicKeyPemOf } from './seal-signing-key';

/** Seals are one per month: a century of them is far below this. */
const SEALS_READ_MAXIMUM = 10_000;
const CONFLICT_ATTEMPTS_MAXIMUM = 5;

export type SealRefusalCode = 'period_not_ended' | 'period_out_of_order' | 'seal_differs' | 'seal_key_not_current';

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

export type RecordedSealStreamEntry = SealStreamEntry & { event: RecordedEvent };

/**
 * Every seal, in the order they were appended (which is period order), and `entries`: the
 * seals and the key rotations between them, in stream order.
 */
export async function readSeals(store: EventStore): Promise<{
  seals: RecordedSeal[]; entries: RecordedSealStreamEntry[]; version: ExpectedStreamVersion; lastEventHash: string;
}> {
  const read = await store.readStream(SEALS_STREAM_NAME, { maxCount: SEALS_READ_MAXIMUM });
  if (read.events.length >= SEALS_READ_MAXIMUM) throw new Error(`more than ${SEALS_READ_MAXIMUM} seals: not a monthly ledger`);
  const entries: RecordedSealStreamEntry[] = [];
  for (const event of read.events) {
    if (event.type === PERIOD_SEALED_EVENT_TYPE) entries.push({ kind: 'seal', seal: decodePeriodSeal(event.data), event });
    else if (event.type === SEAL_KEY_ROTATED_EVENT_TYPE) entries.push({ kind: 'rotation', rotation: decodeSealKeyRotation(event.data), event });
  }
  const seals = entries.flatMap((entry) => (entry.kind === 'seal' ? [{ seal: entry.seal, event: entry.event }] : []));
  const last = read.events[read.events.length - 1];
  return { seals, entries, version: read.currentStreamVersion, lastEventHash: last ? last.metadata.eventHash : GENESIS_EVENT_HASH };
}

/**
 * Refuses to sign with a key the verifier would refuse: a seal must be signed by the
 * ledger's current key (the last seal's, or the last rotation's incoming one). A new chain
 * of keys (after a lost key) is started only when asked, and never with a retired key.
 */
function checkSigningKey(head: ReturnType<typeof sealChainHead>, signingPublicKey: string, startNewKeyChain: boolean): void {
  const signing = publicKeyFingerprint(signingPublicKey)!;
  if (head.retiredFingerprints.has(signing)) {
    throw new SealRefusedError('seal_key_not_current', `the seal key ${signing.slice(0, 16)} was retired by a rotation; it never signs again`);
  }
  if (head.currentPublicKey === null || publicKeyFingerprint(head.currentPublicKey) === signing || startNewKeyChain) return;
  throw new SealRefusedError('seal_key_not_current',
    `the seal key ${signing.slice(0, 16)} is not the ledger's current seal key ${publicKeyFingerprint(head.currentPublicKey)!.slice(0, 16)}: ` +
    'rotate with "rsi-ledger seal-key rotate" while the current key is at hand; if it is lost, follow "A lost key" in docs/audit.md (seal --new-key-chain)');
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
  options: {
    period: string; signingKey: () => KeyObject; actor: string;
    /** Test-only: a chosen booking instant; production leaves it unset (booked at commit on the ledger clock). */
    sealedAt?: string;
    /** After a lost key only (docs/audit.md): sign with a key no rotation introduced. */
    startNewKeyChain?: boolean;
  },
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
    const { seals, entries, version, lastEventHash } = await readSeals(store);
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
    const head = sealChainHead(entries);
    // The key is asked for only now, so that a refused seal never creates a key file.
    const privateKey = options.signingKey();
    const publicKeyPem = publicKeyPemOf(privateKey);
    checkSigningKey(head, publicKeyPem, options.startNewKeyChain === true);
    try {
      // Signed once the booking time is known: the seal's `sealedAt` is its event's booking time.
      const appended = await appendToSealsStream(store, {
        eventId, type: PERIOD_SEALED_EVENT_TYPE, commandId: sealCommandId(period.name), actor: options.actor, version, lastEventHash,
        requestedAt: requestedSealedAt, provisionalAt: ledgerClock,
        signedAt: (sealedAt) => {
          const seal = signSeal({
            signatureScheme: SEAL_SIGNATURE_SCHEME, previousSealHash: head.lastSealHash,
            period: period.name, periodStart: period.startIso, periodEnd: period.endIso, merkleScheme: MERKLE_SCHEME,
            merkleRoot: content.merkleRoot, eventCount: content.eventCount, lastPosition: content.lastPosition, sealedAt,
          }, privateKey, publicKeyPem);
          return { signed: seal, data: encodePeriodSeal(seal) };
        },
      });
      // Already stored (a concurrent retry of the same seal): the next read answers with the stored seal.
      if (appended.alreadyStored) {
        if (attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw new Error(`the seal of ${period.name} was stored but could not be read back`);
        continue;
      }
      return { status: 'sealed', seal: appended.signed, eventId };
    } catch (error) {
      // Another process sealed at the same time: read again, and the seal it wrote answers.
      const concurrent = error instanceof StreamVersionConflictError || error instanceof DuplicateEventIdError;
      if (!concurrent || attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw error;
    }
  }
}

/**
 * One event of the seals stream (a seal or a key rotation), signed for its booking time: the
 * seal's `sealedAt` and the rotation's `rotatedAt` are the booking time of their event.
 */
type SealsStreamEntry<Signed> = {
  eventId: string; type: string; commandId: string; actor: string; version: ExpectedStreamVersion; lastEventHash: string;
  /** Test-only: a chosen booking instant (no completion); unset in production. */
  requestedAt: string | undefined;
  /** The instant the first, provisional event carries; the completion replaces it with the booking time. */
  provisionalAt: string;
  signedAt: (bookedAt: string) => { signed: Signed; data: JsonObject };
};

/**
 * Appends one event to the seals stream under hash scheme 2, booked at commit on the store's
 * ledger clock (the completion signs and hashes it again once the booking time is known),
 * or at `requestedAt`. Returns what the last signing produced, which is what was stored
 * unless `alreadyStored` (the same event was already there: a retry).
 */
async function appendToSealsStream<Signed>(store: EventStore, entry: SealsStreamEntry<Signed>): Promise<{ signed: Signed; alreadyStored: boolean }> {
  const streamVersion = entry.version === 'no_stream' ? 0n : entry.version + 1n;
  let signed: Signed | undefined;
  const eventAt = (bookedAt: string): NewEvent => {
    const signing = entry.signedAt(bookedAt);
    signed = signing.signed;
    const metadata: EventMetadata = {
      commandId: entry.commandId, actor: entry.actor, recordedAt: bookedAt, schemaVersion: EVENT_SCHEMA_VERSION,
      hashScheme: EVENT_HASH_SCHEME_CURRENT, previousEventHash: entry.lastEventHash, eventHash: '',
    };
    metadata.eventHash = hashOfEventBody(eventHashBodyV2Of({
      streamName: SEALS_STREAM_NAME, streamVersion, eventId: entry.eventId, type: entry.type, data: signing.data, metadata,
    }, entry.lastEventHash));
    return { eventId: entry.eventId, type: entry.type, data: signing.data, metadata };
  };
  const result = await store.appendToStream(SEALS_STREAM_NAME, [eventAt(entry.requestedAt ?? entry.provisionalAt)], {
    expectedStreamVersion: entry.version,
    complete: entry.requestedAt !== undefined ? undefined
      : (bookedAt) => [{ streamName: SEALS_STREAM_NAME, expectedStreamVersion: entry.version, events: [eventAt(bookedAt)] }],
  });
  if (signed === undefined) throw new Error('invariant broken: the seals stream event was never signed');
  return { signed, alreadyStored: result.alreadyStored === true };
}

export type RotationOutcome = { status: 'rotated' | 'already_rotated'; rotation: SealKeyRotation; eventId: string };

/**
 * Appends `SealKeyRotated` from the ledger's current key (`currentKey`, which must be it)
 * to `nextKey`, signed by both. Idempotent: when the ledger's current key already is
 * `nextKey` through a recorded rotation, that rotation answers (a retry after a crash).
 */
export async function rotateSealKey(
  store: EventStore,
  options: {
    currentKey: KeyObject; nextKey: KeyObject; actor: string;
    /** Test-only: a chosen booking instant; production leaves it unset (booked at commit on the ledger clock). */
    rotatedAt?: string;
  },
): Promise<RotationOutcome> {
  const requestedRotatedAt = options.rotatedAt === undefined ? undefined : parseInstant(options.rotatedAt, 'rotatedAt').iso;
  const previousPublicKey = publicKeyPemOf(options.currentKey);
  const nextPublicKey = publicKeyPemOf(options.nextKey);
  const nextFingerprint = publicKeyFingerprint(nextPublicKey)!;
  const commandId = `RotateSealKey:${nextFingerprint}`;
  for (let attempt = 1; ; attempt += 1) {
    const { entries, version, lastEventHash } = await readSeals(store);
    const recorded = entries.find((entry) => entry.kind === 'rotation' && publicKeyFingerprint(entry.rotation.nextPublicKey) === nextFingerprint);
    const head = sealChainHead(entries);
    if (recorded?.kind === 'rotation' && head.currentPublicKey !== null && publicKeyFingerprint(head.currentPublicKey) === nextFingerprint) {
      return { status: 'already_rotated', rotation: recorded.rotation, eventId: recorded.event.eventId };
    }
    if (head.retiredFingerprints.has(nextFingerprint)) throw new SealRefusedError('seal_key_not_current', `the next key ${nextFingerprint.slice(0, 16)} was retired before; a rotation needs a new key`);
    checkSigningKey(head, previousPublicKey, false);
    const eventId = deriveEventId(commandId, 0);
    try {
      const appended = await appendToSealsStream(store, {
        eventId, type: SEAL_KEY_ROTATED_EVENT_TYPE, commandId, actor: options.actor, version, lastEventHash,
        // A store without a ledger clock (EventStoreDB) books on this process's clock.
        requestedAt: requestedRotatedAt, provisionalAt: requestedRotatedAt ?? new Date().toISOString(),
        signedAt: (rotatedAt) => {
          const rotation = signRotation({ previousPublicKey, nextPublicKey, previousSealHash: head.lastSealHash, rotatedAt }, { previous: options.currentKey, next: options.nextKey });
          return { signed: rotation, data: encodeSealKeyRotation(rotation) };
        },
      });
      // Already stored (a concurrent retry): the next read answers with the stored rotation.
      if (appended.alreadyStored) {
        if (attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw new Error(`the rotation to ${nextFingerprint.slice(0, 16)} was stored but could not be read back`);
        continue;
      }
      return { status: 'rotated', rotation: appended.signed, eventId };
    } catch (error) {
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
