import type { KeyObject } from 'node:crypto';
import { parseInstant } from '../../../domain/src';
import { deriveEventId } from '../../../event-store/src/event-id';
import {
  DuplicateEventIdError, StreamVersionConflictError, type EventStore, type ExpectedStreamVersion, type GlobalPosition, type RecordedEvent,
} from '../../../event-store/src/event-store.port';
import { EVENT_SCHEMA_VERSION } from '../ledger-command.service';
import { eventHashOf, GENESIS_EVENT_HASH } from '../event-hash';
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
 * Seals a period: refused before the period has ended (`sealedAt`, read from the clock by
 * the caller) and out of order (after the first seal, only the month after the latest may
 * be sealed); a period already sealed is `already_sealed` if its events still give the
 * same root, and refused if they do not (an event was booked into it after its seal).
 */
export async function sealPeriod(
  store: EventStore,
  options: {
    period: string; sealedAt: string; signingKey: () => KeyObject; actor: string;
    /** After a lost key only (docs/audit.md): sign with a key no rotation introduced. */
    startNewKeyChain?: boolean;
  },
): Promise<SealOutcome> {
  const period = parsePeriod(options.period);
  const sealedAt = parseInstant(options.sealedAt, 'sealedAt').iso;
  if (sealedAt < period.endIso) {
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
    const unsigned = {
      signatureScheme: SEAL_SIGNATURE_SCHEME, previousSealHash: head.lastSealHash,
      period: period.name, periodStart: period.startIso, periodEnd: period.endIso, merkleScheme: MERKLE_SCHEME,
      merkleRoot: content.merkleRoot, eventCount: content.eventCount, lastPosition: content.lastPosition, sealedAt,
    };
    // The key is asked for only now, so that a refused seal never creates a key file.
    const privateKey = options.signingKey();
    const publicKeyPem = publicKeyPemOf(privateKey);
    checkSigningKey(head, publicKeyPem, options.startNewKeyChain === true);
    const seal = signSeal(unsigned, privateKey, publicKeyPem);
    try {
      await appendToSealsStream(store, {
        eventId, type: PERIOD_SEALED_EVENT_TYPE, data: encodePeriodSeal(seal), commandId: sealCommandId(period.name),
        actor: options.actor, recordedAt: sealedAt, version, lastEventHash,
      });
      return { status: 'sealed', seal, eventId };
    } catch (error) {
      // Another process sealed at the same time: read again, and the seal it wrote answers.
      const concurrent = error instanceof StreamVersionConflictError || error instanceof DuplicateEventIdError;
      if (!concurrent || attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw error;
    }
  }
}

async function appendToSealsStream(store: EventStore, entry: {
  eventId: string; type: string; data: ReturnType<typeof encodePeriodSeal> | ReturnType<typeof encodeSealKeyRotation>; commandId: string;
  actor: string; recordedAt: string; version: ExpectedStreamVersion; lastEventHash: string;
}): Promise<void> {
  await store.appendToStream(SEALS_STREAM_NAME, [{
    eventId: entry.eventId,
    type: entry.type,
    data: entry.data,
    metadata: {
      commandId: entry.commandId,
      actor: entry.actor,
      recordedAt: entry.recordedAt,
      schemaVersion: EVENT_SCHEMA_VERSION,
      previousEventHash: entry.lastEventHash,
      eventHash: eventHashOf(entry.type, entry.data, entry.lastEventHash),
    },
  }], { expectedStreamVersion: entry.version });
}

export type RotationOutcome = { status: 'rotated' | 'already_rotated'; rotation: SealKeyRotation; eventId: string };

/**
 * Appends `SealKeyRotated` from the ledger's current key (`currentKey`, which must be it)
 * to `nextKey`, signed by both. Idempotent: when the ledger's current key already is
 * `nextKey` through a recorded rotation, that rotation answers (a retry after a crash).
 */
export async function rotateSealKey(
  store: EventStore,
  options: { currentKey: KeyObject; nextKey: KeyObject; rotatedAt: string; actor: string },
): Promise<RotationOutcome> {
  const rotatedAt = parseInstant(options.rotatedAt, 'rotatedAt').iso;
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
    const rotation = signRotation({ previousPublicKey, nextPublicKey, previousSealHash: head.lastSealHash, rotatedAt }, { previous: options.currentKey, next: options.nextKey });
    const eventId = deriveEventId(commandId, 0);
    try {
      await appendToSealsStream(store, {
        eventId, type: SEAL_KEY_ROTATED_EVENT_TYPE, data: encodeSealKeyRotation(rotation), commandId, actor: options.actor, recordedAt: rotatedAt, version, lastEventHash,
      });
      return { status: 'rotated', rotation, eventId };
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
