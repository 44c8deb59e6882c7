import { compareGlobalPositions, type EventStore, type GlobalPosition, type RecordedEvent } from '@rsi/event-store';
import { bookedBefore, nextPeriod, parsePeriod } from './accounting-period';
import { MERKLE_SCHEME, MerkleRootAccumulator, merkleLeafOf } from './merkle-tree';
import { sealSignatureHolds, type PeriodSeal } from './period-seal';
import { positionOf, readSeals, type RecordedSeal, type RecordedSealStreamEntry } from './period-seal.service';
import { auditSealKeyChain, type SealKeyChainAudit } from './seal-key-chain';

/**
 * The seal part of `verify`, fed the events in global order by the verifier's one pass:
 * each seal's root is recomputed from the events it covers (booked before its period's
 * end, up to its last position), its count compared, its signature checked with the key it
 * names, the seals checked to follow each other month by month and to name the hash of the
 * seal before them, their keys followed along the rotations and (when pinned) required to
 * be a pinned key or joined to one, and any event booked into a sealed period after its
 * seal reported (a statement line no proof can cover).
 *
 * Cost: one leaf hash per event, plus one accumulator step per event and seal covering it.
 */
export class SealAudit {
  private readonly entries: {
    recorded: RecordedSeal;
    lastPosition: GlobalPosition | null;
    accumulator: MerkleRootAccumulator;
    lateBookings: number;
  }[];

  private readonly keyChain: SealKeyChainAudit;

  private constructor(
    seals: RecordedSeal[],
    private readonly streamEntries: RecordedSealStreamEntry[],
    pinnedPublicKeys: readonly string[] | null,
    private readonly fail: (message: string) => void,
  ) {
    this.keyChain = auditSealKeyChain(streamEntries, pinnedPublicKeys);
    this.entries = seals.map((recorded) => ({
      recorded,
      lastPosition: recorded.seal.lastPosition === null ? null : positionOf(recorded.seal.lastPosition),
      accumulator: new MerkleRootAccumulator(),
      lateBookings: 0,
    }));
  }

  /** `pinnedPublicKeys`: the auditor's trust anchors (PEM), or null when none was given. */
  static async start(store: EventStore, fail: (message: string) => void, pinnedPublicKeys: readonly string[] | null = null): Promise<SealAudit> {
    let read: { seals: RecordedSeal[]; entries: RecordedSealStreamEntry[] };
    try {
      read = await readSeals(store);
    } catch (error) {
      fail(`the seals stream cannot be read: ${(error as Error).message}`);
      read = { seals: [], entries: [] };
    }
    return new SealAudit(read.seals, read.entries, pinnedPublicKeys, fail);
  }

  /** What the seals prove and what they do not (an unpinned key, a new chain of keys): never a failure. */
  get warnings(): readonly string[] {
    return this.keyChain.warnings;
  }

  /** See `SealKeyChainAudit.anchors`. */
  sealKeyAnchors(fingerprint: string): boolean {
    return this.keyChain.anchors(fingerprint);
  }

  get trustAnchor(): { pinned: boolean; keysSeen: number; rotations: number } {
    return { pinned: this.keyChain.pinned, keysSeen: this.keyChain.keysSeen, rotations: this.keyChain.rotations };
  }

  observe(recorded: RecordedEvent): void {
    if (this.entries.length === 0) return;
    let leaf: Buffer | null = null;
    for (const entry of this.entries) {
      let inPeriod: boolean;
      try {
        inPeriod = bookedBefore(recorded.metadata.recordedAt, entry.recorded.seal.periodEnd);
      } catch {
        this.fail(`${recorded.streamName}@${recorded.streamVersion}: recordedAt ${JSON.stringify(recorded.metadata.recordedAt)} is not an instant`);
        return;
      }
      if (!inPeriod) continue;
      const covered = entry.lastPosition !== null && compareGlobalPositions(recorded.globalPosition, entry.lastPosition) <= 0;
      if (!covered) {
        entry.lateBookings += 1;
        this.fail(`${recorded.streamName}@${recorded.streamVersion} is booked at ${recorded.metadata.recordedAt}, in sealed period ${entry.recorded.seal.period}, but after its seal`);
        continue;
      }
      try {
        leaf ??= merkleLeafOf(recorded.metadata.eventHash, recorded.metadata.recordedAt);
      } catch (error) {
        this.fail(`${recorded.streamName}@${recorded.streamVersion}: no Merkle leaf: ${(error as Error).message}`);
        return;
      }
      entry.accumulator.add(leaf);
    }
  }

  /** Reports every seal and rotation; `pass` is called once per seal or rotation that holds. */
  finish(pass: () => void): void {
    let previous: PeriodSeal | null = null;
    const chainFailuresOfEvent = new Map<string, string[]>();
    this.streamEntries.forEach((streamEntry, index) => {
      const failures = this.keyChain.failuresByEntry.get(index) ?? [];
      if (streamEntry.kind === 'seal') chainFailuresOfEvent.set(streamEntry.event.eventId, failures);
      else if (failures.length === 0) pass();
      else for (const message of failures) this.fail(`seal key rotation ${streamEntry.event.streamName}@${streamEntry.event.streamVersion} (event ${streamEntry.event.eventId}): ${message}`);
    });
    for (const entry of this.entries) {
      const seal = entry.recorded.seal;
      const name = `seal ${seal.period}`;
      const failuresBefore: string[] = [];
      const failHere = (message: string) => failuresBefore.push(`${name}: ${message}`);
      for (const message of chainFailuresOfEvent.get(entry.recorded.event.eventId) ?? []) failHere(message);
      try {
        const period = parsePeriod(seal.period);
        if (seal.periodStart !== period.startIso || seal.periodEnd !== period.endIso) failHere('periodStart/periodEnd do not match the period');
        if (previous !== null && nextPeriod(parsePeriod(previous.period)).name !== seal.period) failHere(`follows seal ${previous.period}: periods must be sealed in order`);
      } catch (error) {
        failHere((error as Error).message);
      }
      if (seal.merkleScheme !== MERKLE_SCHEME) failHere(`unknown Merkle scheme ${seal.merkleScheme}`);
      if (seal.sealedAt < seal.periodEnd || entry.recorded.event.metadata.recordedAt !== seal.sealedAt) failHere(`sealed at ${seal.sealedAt}, before its period ended or not when it was booked`);
      const root = entry.accumulator.rootHex();
      if (root !== seal.merkleRoot || entry.accumulator.leafCount !== seal.eventCount) {
        failHere(`the events give root ${root} over ${entry.accumulator.leafCount} events, the seal says ${seal.merkleRoot} over ${seal.eventCount}`);
      }
      if (!sealSignatureHolds(seal)) failHere('the Ed25519 signature does not hold for the public key it names');
      if (failuresBefore.length === 0 && entry.lateBookings === 0) pass();
      for (const message of failuresBefore) this.fail(message);
      previous = seal;
    }
  }
}
