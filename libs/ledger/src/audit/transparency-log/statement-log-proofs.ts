import type { EventStore } from '@rsi/event-store';
import { developerStreamName } from '../../developer-ledger';
import type { DeveloperStatement } from '../developer-statement';
import { logLeafDataOf, type LogLeafFields } from './log-leaf';
import { HASH_BYTES, inclusionProofOf, leafHashOf } from './merkle-log';
import { CACHED_LEAVES_MAXIMUM, PerfectSubtreeCache } from './perfect-subtree-cache';
import type { StatementLogProof, StatementLogProofs } from './tree-head';

export type { StatementLogProof, StatementLogProofs };
export { checkStatementLogProofs, type StatementLogCheck } from '../verifier/statement-log-check';
import type { TransparencyLog } from './transparency-log.service';

const STREAM_READ_PAGE_EVENTS = 10_000;


/**
 * The inclusion proofs of a statement's lines in the latest tree head (null when no head has
 * been issued yet). Lines booked after that head are not in it and get no proof. The leaf
 * table is derived, so each line's leaf is recomputed from its event and must be the stored
 * one, and the leaves must still give the head's root; otherwise the statement is refused
 * rather than printed with proofs that would not verify.
 */
export async function statementLogProofsOf(
  source: { store: EventStore; log: TransparencyLog },
  statement: DeveloperStatement,
): Promise<StatementLogProofs | null> {
  const treeHead = await source.log.latestTreeHead();
  if (treeHead === null) return null;
  if (treeHead.treeSize > CACHED_LEAVES_MAXIMUM) throw new Error(`statement proofs are drawn in memory for at most ${CACHED_LEAVES_MAXIMUM} leaves`);
  const leafHashes = Buffer.alloc(treeHead.treeSize * HASH_BYTES);
  let offset = 0;
  for await (const leafHash of source.log.readLeafHashes(0, treeHead.treeSize)) {
    leafHash.copy(leafHashes, offset);
    offset += HASH_BYTES;
  }
  const cache = new PerfectSubtreeCache(leafHashes);
  if (cache.rangeHash(0, treeHead.treeSize).toString('hex') !== treeHead.rootHash) {
    throw new Error(`integrity: the transparency log no longer gives the root of the head issued at ${treeHead.issuedAt}; run "rsi-ledger verify"`);
  }
  const streamName = developerStreamName(statement.developerId);
  const versions = await streamVersionsOf(source.store, streamName, new Set(statement.lines.map((line) => line.eventId)));
  const indexes = await source.log.leafIndexesOf([...versions.keys()]);
  const lines: StatementLogProof[] = [];
  for (const line of statement.lines) {
    const leafIndex = indexes.get(line.eventId);
    const streamVersion = versions.get(line.eventId);
    if (leafIndex === undefined || leafIndex >= treeHead.treeSize || streamVersion === undefined) continue;
    const fields: LogLeafFields = { eventHash: line.eventHash, eventId: line.eventId, recordedAt: line.bookedAt, streamName, streamVersion };
    const leafHash = leafHashOf(logLeafDataOf(fields));
    if (!leafHash.equals(leafHashes.subarray(leafIndex * HASH_BYTES, (leafIndex + 1) * HASH_BYTES))) {
      throw new Error(`integrity: leaf ${leafIndex} of the transparency log is not the leaf of event ${line.eventId}; run "rsi-ledger verify"`);
    }
    lines.push({ eventId: line.eventId, streamName, streamVersion, leafIndex, proof: await inclusionProofOf(leafIndex, treeHead.treeSize, cache) });
  }
  return { treeHead, lines };
}

async function streamVersionsOf(store: EventStore, streamName: string, eventIds: ReadonlySet<string>): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  let fromStreamVersion = 0n;
  for (;;) {
    const page = await store.readStream(streamName, { fromStreamVersion, maxCount: STREAM_READ_PAGE_EVENTS });
    for (const recorded of page.events) if (eventIds.has(recorded.eventId)) versions.set(recorded.eventId, recorded.streamVersion.toString());
    if (page.events.length < STREAM_READ_PAGE_EVENTS) return versions;
    fromStreamVersion = page.events[page.events.length - 1]!.streamVersion + 1n;
  }
}
