import type { EventStore, ExpectedStreamVersion } from '@rsi/event-store';
import { GENESIS_EVENT_HASH } from './event-hash';

/** A decided state with the stream version and the last event hash it stands for. */
export type StreamSnapshot<State> = { state: State; version: ExpectedStreamVersion; lastEventHash: string };

/** How a stream's events become its state. */
export type StreamFold<State> = {
  initial: () => State;
  /** Decodes one stored event (type, encoded data) and evolves the state with it. */
  evolveRecorded: (state: State, type: string, data: unknown) => State;
  /** Bounds what the state holds, between pages of a read (`StreamKind.trim`). */
  trim?: (state: State) => void;
};

const STREAM_READ_PAGE_EVENTS_DEFAULT = 10_000;

/**
 * Decided states per stream, bounded, so that a batch does not re-read its streams. An
 * entry is taken out while a batch works on it and put back only after its append
 * succeeded: evolve may mutate a state in place, so a failed batch must not leave a
 * half-evolved state behind. A state read from the stream must chain every event to the
 * one before it.
 */
export class StreamSnapshotCache {
  private readonly snapshots = new Map<string, StreamSnapshot<unknown>>();
  /** Each cached snapshot's weight (`StreamKind.weigh`), and their total. */
  private readonly weights = new Map<string, number>();
  private weightTotal = 0;

  constructor(
    private readonly store: EventStore,
    private readonly streamsMaximum: number,
    private readonly readPageEvents: number = STREAM_READ_PAGE_EVENTS_DEFAULT,
    /** The most the cached snapshots may weigh together (held receipts, say): memory stays bounded however many streams are cached. */
    private readonly weightMaximum: number = Number.POSITIVE_INFINITY,
  ) {}

  async take<State>(streamName: string, fold: StreamFold<State>): Promise<StreamSnapshot<State>> {
    const cached = this.snapshots.get(streamName) as StreamSnapshot<State> | undefined;
    this.forget(streamName);
    // A cached state is used as it is (optimistic): the append's expected version proves it
    // is still the stream's latest, and a conflict makes the caller forget it and read the
    // stream again. That saves a read per stream per batch on the hot path.
    if (cached) return cached;
    const snapshot: StreamSnapshot<State> = { state: fold.initial(), version: 'no_stream', lastEventHash: GENESIS_EVENT_HASH };
    for (;;) {
      const fromStreamVersion = snapshot.version === 'no_stream' ? 0n : snapshot.version + 1n;
      const page = await this.store.readStream(streamName, { fromStreamVersion, maxCount: this.readPageEvents });
      for (const recorded of page.events) {
        if (recorded.metadata.previousEventHash !== snapshot.lastEventHash) {
          throw new Error(`integrity: ${streamName}@${recorded.streamVersion} does not chain to the previous event`);
        }
        snapshot.state = fold.evolveRecorded(snapshot.state, recorded.type, recorded.data);
        snapshot.version = recorded.streamVersion;
        snapshot.lastEventHash = recorded.metadata.eventHash;
      }
      fold.trim?.(snapshot.state);
      if (page.events.length < this.readPageEvents) return snapshot;
    }
  }

  /**
   * True if no event was appended to the stream after the snapshot. A batch that appends
   * nothing to a stream (its commands were all refused or already recorded) has no expected
   * version to prove its cached state fresh, so it asks before answering.
   */
  async isLatest(streamName: string, snapshot: StreamSnapshot<unknown>): Promise<boolean> {
    const fromStreamVersion = snapshot.version === 'no_stream' ? 0n : snapshot.version + 1n;
    const page = await this.store.readStream(streamName, { fromStreamVersion, maxCount: 1 });
    return page.events.length === 0;
  }

  /**
   * Puts a snapshot back after its batch was appended, with its weight; the least recently
   * used go first, until both the stream count and the total weight are within bounds.
   */
  putBack(streamName: string, snapshot: StreamSnapshot<unknown>, weight = 0): void {
    this.forget(streamName);
    while (this.snapshots.size > 0 && (this.snapshots.size >= this.streamsMaximum || this.weightTotal + weight > this.weightMaximum)) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
    this.snapshots.set(streamName, snapshot);
    this.weights.set(streamName, weight);
    this.weightTotal += weight;
  }

  forget(streamName: string): void {
    this.snapshots.delete(streamName);
    this.weightTotal -= this.weights.get(streamName) ?? 0;
    this.weights.delete(streamName);
  }
}
