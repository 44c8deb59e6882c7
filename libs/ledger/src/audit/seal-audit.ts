import { compareGlobalPositions, type EventStore, type GlobalPosition, type RecordedEvent } from '../../../event-store/src/event-store.port';
import { bookedBefore, nextPeriod, parsePeriod } from './accounting-period';
import { MERKLE_SCHEME, MerkleRootAccumulator, merkleLeafOf } from './merkle-tree';
import { sealSignatureHolds, type PeriodSeal } from './period-seal';
import { positionOf, readSeals, type RecordedSeal } from './period-seal.service';

/**
 * The seal part of `verify`, fed the events in global order by the verifier's one pass:
 * each seal's root is recomputed from the events it covers (booked before its period's
 * end, up to its last position), its count compared, its signature checked with the key it
 * names, the seals checked to follow each other month by month, and any event booked into a
 * sealed period after its seal reported (a statement line no proof can cover).
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

  private constructor(seals: RecordedSeal[], private readonly fail: (message: string) => void) {
    this.entries = seals.map((recorded) => ({
      recorded,
      lastPosition: recorded.seal.lastPosition === null ? null : positionOf(recorded.seal.lastPosition),
      accumulator: new MerkleRootAccumulator(),
      lateBookings: 0,
    }));
  }

  static async start(store: EventStore, fail: (message: string) => void): Promise<SealAudit> {
    let seals: RecordedSeal[];
    try {
      seals = (await readSeals(store)).seals;
    } catch (error) {
      fail(`the seals stream cannot be read: ${(error as Error).message}`);
      seals = [];
    }
    return new SealAudit(seals, fail);
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

  /** Reports every seal; `pass` is called once per seal that holds. */
  finish(pass: () => void): void {
    let previous: PeriodSeal | null = null;
    for (const entry of this.entries) {
      const seal = entry.recorded.seal;
      const name = `seal ${seal.period}`;
      const failuresBefore: string[] = [];
      const failHere = (message: string) => failuresBefore.push(`${name}: ${message}`);
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
