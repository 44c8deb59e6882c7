import type pg from 'pg';
import type { EventStore, RecordedEvent } from '@rsi/event-store';
import { readEventsInGlobalOrder } from '../global-event-reader';
import { samePublicKey } from '../period-seal';
import { logLeafHashOfEvent } from './log-leaf';
import { MerkleLogBuilder } from './merkle-log';
import { treeHeadSignatureHolds, type TreeHead } from './tree-head';
import { describeEvent, eventHashHolds, TransparencyLog } from './transparency-log.service';

/** Heads read per round trip (one every 5 minutes is ~100,000 a year). */
const HEADS_READ_PAGE = 1_000;

export type TreeHeadFindings = { pass(): void; fail(message: string): void };

/**
 * Checks every stored tree head against the EVENTS, not against the derived leaf table:
 * every leaf is recomputed from its event (whose body must still give its hash), every head's
 * root is recomputed from those leaves and its signature checked (with `publicKeyPem` when
 * given, else with the key the head names). A head whose root differs names the first leaf
 * where the events and the log part (an event edited, deleted, inserted or moved under it).
 * Reads in global order with bounded memory: one page of events, one page of leaves, one
 * page of heads and the O(log n) frontier of the tree. It stops reading after the last head.
 */
export async function verifyTreeHeads(
  source: { store: EventStore; pool: pg.Pool },
  findings: TreeHeadFindings,
  options: { publicKeyPem?: string } = {},
): Promise<{ headsChecked: number; leavesRecomputed: number }> {
  const log = new TransparencyLog(source.pool, source.store);
  const builder = new MerkleLogBuilder();
  let heads: TreeHead[] = await log.readTreeHeads(0, HEADS_READ_PAGE);
  let headsChecked = 0;
  let firstDifference: string | null = null;
  const noteDifference = (message: string) => { if (firstDifference === null) firstDifference = message; };

  const checkHead = (head: TreeHead, rootHash: string | null) => {
    headsChecked += 1;
    const where = `tree head of ${head.treeSize} events issued ${head.issuedAt}`;
    if (options.publicKeyPem !== undefined && !samePublicKey(options.publicKeyPem, head.publicKey)) findings.fail(`${where}: signed with another key than the published one`);
    else if (!treeHeadSignatureHolds(head, options.publicKeyPem ?? head.publicKey)) findings.fail(`${where}: the signature does not hold`);
    else if (rootHash === null) findings.fail(`${where}: the events give only ${builder.size} leaves${firstDifference ? `; ${firstDifference}` : ' (events deleted under it)'}`);
    else if (rootHash !== head.rootHash) findings.fail(`${where}: the events give root ${rootHash}, not the signed ${head.rootHash}; ${firstDifference ?? 'the stored leaves agree with the events, so the head itself was altered'}`);
    else findings.pass();
  };
  const nextHead = async (): Promise<TreeHead | undefined> => {
    if (heads.length === 0) return undefined;
    const head = heads.shift()!;
    if (heads.length === 0) heads = await log.readTreeHeads(head.treeSize, HEADS_READ_PAGE);
    return head;
  };
  let pending = await nextHead();

  // Only a head still to check can make a finding: with none (no head issued, or the last
  // one checked), the events after it are not read at all.
  if (pending !== undefined) await readEventsInGlobalOrder(source.store, async (events: readonly RecordedEvent[]) => {
    const start = builder.size;
    const stored = new Map<number, { eventId: string; leafHash: Buffer }>();
    const page = await source.pool.query<{ leaf_index: string; event_id: string; leaf_hash: Buffer }>(
      'SELECT leaf_index::text AS leaf_index, event_id::text AS event_id, leaf_hash FROM transparency_log_leaves WHERE leaf_index >= $1 AND leaf_index < $2',
      [start, start + events.length],
    );
    for (const row of page.rows) stored.set(Number(row.leaf_index), { eventId: row.event_id, leafHash: row.leaf_hash });
    for (const recorded of events) {
      if (pending === undefined) break;
      const leafIndex = builder.size;
      // The leaf binds the recorded hash, so a body edited in place leaves every root intact:
      // the head still vouches for the hash, and the body no longer gives it.
      if (!eventHashHolds(recorded) && pending !== undefined) {
        findings.fail(`leaf ${leafIndex}: ${describeEvent(recorded)} no longer hashes to the event hash that the tree head of ${pending.treeSize} events (issued ${pending.issuedAt}) signed: its body was altered`);
      }
      const leafHash = logLeafHashOfEvent(recorded);
      const storedLeaf = stored.get(leafIndex);
      if (storedLeaf !== undefined && !storedLeaf.leafHash.equals(leafHash)) {
        noteDifference(`leaf ${leafIndex}: the log holds event ${storedLeaf.eventId} there, the events give ${describeEvent(recorded)} with another leaf hash`);
      }
      builder.append(leafHash);
      while (pending !== undefined && pending.treeSize === builder.size) {
        checkHead(pending, builder.root().toString('hex'));
        pending = await nextHead();
      }
    }
    return pending !== undefined;
  });
  while (pending !== undefined) {
    if (firstDifference === null) {
      const stored = await source.pool.query<{ event_id: string }>('SELECT event_id::text AS event_id FROM transparency_log_leaves WHERE leaf_index = $1', [builder.size]);
      if (stored.rows[0]) noteDifference(`leaf ${builder.size}: the log holds event ${stored.rows[0].event_id}, which the events no longer hold (deleted)`);
    }
    checkHead(pending, null);
    pending = await nextHead();
  }
  return { headsChecked, leavesRecomputed: builder.size };
}
