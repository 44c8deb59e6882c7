import type { EventStore, ExpectedStreamVersion } from '@rsi/event-store';
import { GENESIS_EVENT_HASH } from './event-hash';

/** A decided state with the stream version and the last event hash it stands for. */
export type StreamSnapshot<State> = { state: State; version: ExpectedStreamVersion; lastEventHash: string };

/** How a stream's events become its state. */
export type StreamFold<State> = {
  initial: () => State;
  /** Decodes one stored event (type, encoded data) and evolves the state with it. */
  evolveRecorded: (state: State, type: string, data: unknown) => State;
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

  constructor(
    private readonly store: EventStore,
    private readonly streamsMaximum: number,
    private readonly readPageEvents: number = STREAM_READ_PAGE_EVENTS_DEFAULT,
  ) {}

  async take<State>(streamName: string, fold: StreamFold<State>): Promise<StreamSnapshot<State>> {
    const cached = this.snapshots.get(streamName) as StreamSnapshot<State> | undefined;
    this.snapshots.delete(streamName);
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

  /** Puts a snapshot back after its batch was appended; the least recently used goes first. */
  putBack(streamName: string, snapshot: StreamSnapshot<unknown>): void {
    this.snapshots.delete(streamName);
    if (this.snapshots.size >= this.streamsMaximum) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest !== undefined) this.snapshots.delete(oldest);
    }
    this.snapshots.set(streamName, snapshot);
  }

  forget(streamName: string): void {
    this.snapshots.delete(streamName);
  }
}
