import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import { compareGlobalPositions, PostgresEventStore, type EventStore, type GlobalPosition, type RecordedEvent } from '@rsi/event-store';
import { firstUnsignedEventOf, readWriterSignatureContext, type WriterSignatureContext } from '../writer-signature-audit';
import { expectedEventHashOf } from '../../core/event-hash';
import { publicKeyPemOf } from '../seal-signing-key';
import { logLeafHashOfEvent } from './log-leaf';
import {
  consistencyProofOf, inclusionProofOf, MerkleLogBuilder, subtreeHashSourceOfLeafReader, type SubtreeHashSource,
} from './merkle-log';
import { decodeTreeHead, signTreeHead, TREE_HEAD_SCHEME, type ConsistencyProofDocument, type TreeHead } from './tree-head';

/** Events read and leaves written per round trip: bounds the memory of an append. */
const LEAF_APPEND_BATCH_EVENTS = 5_000;
/** Leaf hashes read per round trip when a root or a proof streams the leaf table. */
const LEAF_READ_PAGE = 10_000;
/** Appends that found another issuer's leaves in their place before giving up: a runaway. */
const APPEND_CONFLICTS_MAXIMUM = 100;
const UNIQUE_VIOLATION = '23505';

export type TreeHeadRefusalCode = 'empty_log' | 'event_hash_mismatch' | 'log_rewritten' | 'clock_went_back' | 'writer_signature_missing';

export class TreeHeadRefusedError extends Error {
  constructor(readonly code: TreeHeadRefusalCode, message: string) {
    super(message);
    this.name = 'TreeHeadRefusedError';
  }
}

/** A proof request outside the log (sizes, unknown event): the caller's mistake, a 4xx. */
export class LogProofUnavailableError extends Error {
  readonly code = 'proof_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'LogProofUnavailableError';
  }
}

export type IssueOutcome = { status: 'issued' | 'unchanged'; head: TreeHead };
export type InclusionProofDocument = { eventId: string; leafIndex: number; treeSize: number; leafHash: string; rootHash: string; proof: string[] };

type TreeHeadRow = { tree_size: string; scheme: string; root_hash: Buffer; issued_at: string; public_key: string; signature: string };

function treeHeadOfRow(row: TreeHeadRow): TreeHead {
  return decodeTreeHead({
    scheme: row.scheme, treeSize: Number(row.tree_size), rootHash: row.root_hash.toString('hex'), issuedAt: row.issued_at,
    publicKey: row.public_key, signature: row.signature,
  });
}

const TREE_HEAD_COLUMNS = 'tree_size::text AS tree_size, scheme, root_hash, issued_at, public_key, signature';

/** True when the event's stored hash is the hash of its body under the scheme it names (a body edited in place is not). */
export function eventHashHolds(recorded: RecordedEvent): boolean {
  try {
    return expectedEventHashOf(recorded, recorded.metadata.previousEventHash) === recorded.metadata.eventHash;
  } catch {
    return false;
  }
}

export function describeEvent(recorded: RecordedEvent): string {
  return `${recorded.streamName}@${recorded.streamVersion} ${recorded.type} (event ${recorded.eventId})`;
}

/**
 * The transparency log over all events in global order (docs/audit.md, "Tree heads and
 * consistency proofs"): the derived leaf table, signed tree heads, and proofs drawn from the
 * database with bounded memory. Works on either event store; the log's tables live in the
 * ledger's PostgreSQL.
 *
 * Appending is safe with several issuers at once: leaves are written at the index that
 * follows the last stored one, and an issuer that finds another's leaves in place (a unique
 * violation) reads again; both compute the same leaves because the global order is fixed.
 */
/** How long issuing a head waits for events held back by transactions in flight, and how often it looks. */
const HEAD_WAIT_MILLISECONDS_MAXIMUM = 10_000;
const HEAD_POLL_MILLISECONDS = 20;

export class TransparencyLog {
  constructor(private readonly pool: pg.Pool, private readonly store: EventStore) {}

  async leafCount(): Promise<number> {
    const result = await this.pool.query<{ count: string }>('SELECT coalesce(max(leaf_index) + 1, 0)::text AS count FROM transparency_log_leaves');
    return Number(result.rows[0]!.count);
  }

  /** Appends a leaf for every event after the last one in the log; the number of leaves after. */
  async appendNewLeaves(): Promise<number> {
    let conflicts = 0;
    // On PostgreSQL an event committed just now can be held back from readAll while an older
    // transaction anywhere on the server is open: wait (bounded) until the log reaches the
    // head seen at the start, so a head issued after a write covers it. Past the bound the
    // head covers a prefix, which is still a true statement about the log.
    const head = this.store.readHeadPosition ? await this.store.readHeadPosition() : null;
    let waitedMilliseconds = 0;
    // Writer signatures (PostgreSQL store): a head never vouches for an event that the
    // application did not sign, such as one inserted in SQL with a perfect hash chain.
    const signatures: WriterSignatureContext | null = this.store instanceof PostgresEventStore ? await readWriterSignatureContext(this.pool) : null;
    const checkedCommits = new Set<bigint>();
    for (;;) {
      const last = await this.pool.query<{ leaf_index: string; commit_position: string; prepare_position: string }>(
        `SELECT leaf_index::text AS leaf_index, commit_position::text AS commit_position, prepare_position::text AS prepare_position
           FROM transparency_log_leaves ORDER BY transparency_log_leaves.leaf_index DESC LIMIT 1`,
      );
      const row = last.rows[0];
      const nextIndex = row === undefined ? 0 : Number(row.leaf_index) + 1;
      const after: GlobalPosition | null = row === undefined ? null : { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
      const events = await this.store.readAll({ after, maxCount: LEAF_APPEND_BATCH_EVENTS });
      if (events.length === 0) {
        const headReached = head === null || (after !== null && compareGlobalPositions(after, head) >= 0);
        if (headReached || waitedMilliseconds >= HEAD_WAIT_MILLISECONDS_MAXIMUM) return nextIndex;
        await new Promise((resolve) => setTimeout(resolve, HEAD_POLL_MILLISECONDS));
        waitedMilliseconds += HEAD_POLL_MILLISECONDS;
        continue;
      }
      for (const recorded of events) {
        // A head signs what the events are; an event whose body no longer gives its hash was
        // edited in place, and signing its leaf would vouch for it.
        if (!eventHashHolds(recorded)) {
          throw new TreeHeadRefusedError('event_hash_mismatch', `${describeEvent(recorded)} does not hash to its recorded event hash: it was altered; run "rsi-ledger verify"`);
        }
      }
      if (signatures !== null) {
        const unsigned = await firstUnsignedEventOf(this.pool, signatures, events, BigInt(nextIndex), checkedCommits);
        if (unsigned !== null) {
          throw new TreeHeadRefusedError('writer_signature_missing', `${describeEvent(unsigned.event)}: ${unsigned.reason}; it was not written by the application; run "rsi-ledger verify"`);
        }
      }
      try {
        await this.pool.query(
          `INSERT INTO transparency_log_leaves (leaf_index, commit_position, prepare_position, event_id, leaf_hash)
           SELECT * FROM unnest($1::bigint[], $2::numeric[], $3::numeric[], $4::uuid[], $5::bytea[])`,
          [
            events.map((_, offset) => String(nextIndex + offset)),
            events.map((recorded) => recorded.globalPosition.commit.toString()),
            events.map((recorded) => recorded.globalPosition.prepare.toString()),
            events.map((recorded) => recorded.eventId),
            events.map((recorded) => logLeafHashOfEvent(recorded)),
          ],
        );
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
        conflicts += 1;
        if (conflicts > APPEND_CONFLICTS_MAXIMUM) throw new Error(`the transparency log's leaves were appended by others ${conflicts} times under this issuer`);
      }
    }
  }

  /** Leaf hashes [start, end) in order, a page at a time; a missing row is an error, never a silent gap. */
  async *readLeafHashes(start: number, end: number): AsyncIterable<Buffer> {
    for (let from = start; from < end; from += LEAF_READ_PAGE) {
      const to = Math.min(end, from + LEAF_READ_PAGE);
      const page = await this.pool.query<{ leaf_index: string; leaf_hash: Buffer }>(
        'SELECT leaf_index::text AS leaf_index, leaf_hash FROM transparency_log_leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY transparency_log_leaves.leaf_index',
        [from, to],
      );
      let expected = from;
      for (const row of page.rows) {
        if (Number(row.leaf_index) !== expected) throw new Error(`the transparency log has no leaf ${expected}`);
        expected += 1;
        yield row.leaf_hash;
      }
      if (expected !== to) throw new Error(`the transparency log has no leaf ${expected}`);
    }
  }

  subtreeHashes(): SubtreeHashSource {
    return subtreeHashSourceOfLeafReader((start, end) => this.readLeafHashes(start, end));
  }

  async rootOfSize(treeSize: number): Promise<Buffer> {
    return Buffer.from(await this.subtreeHashes().rangeHash(0, treeSize));
  }

  /** The leaf index of each event already in the log. */
  async leafIndexesOf(eventIds: readonly string[]): Promise<Map<string, number>> {
    const result = await this.pool.query<{ event_id: string; leaf_index: string }>(
      'SELECT event_id::text AS event_id, leaf_index::text AS leaf_index FROM transparency_log_leaves WHERE event_id = ANY($1::uuid[])', [eventIds],
    );
    return new Map(result.rows.map((row) => [row.event_id, Number(row.leaf_index)]));
  }

  async latestTreeHead(): Promise<TreeHead | null> {
    const result = await this.pool.query<TreeHeadRow>(`SELECT ${TREE_HEAD_COLUMNS} FROM tree_heads ORDER BY tree_heads.tree_size DESC LIMIT 1`);
    return result.rows[0] === undefined ? null : treeHeadOfRow(result.rows[0]);
  }

  /** Stored heads with a size greater than `afterSize`, in size order, at most `limit`. */
  async readTreeHeads(afterSize: number, limit: number): Promise<TreeHead[]> {
    const result = await this.pool.query<TreeHeadRow>(`SELECT ${TREE_HEAD_COLUMNS} FROM tree_heads WHERE tree_size > $1 ORDER BY tree_heads.tree_size LIMIT $2`, [afterSize, limit]);
    return result.rows.map(treeHeadOfRow);
  }

  /**
   * Appends the new leaves and signs a head over the whole log, unless nothing was appended
   * since the latest head. Before signing, the leaves under the latest head must still give
   * its root: a leaf table rewritten under a head is refused, not signed over. `issuedAt` is
   * the database's clock. The key is asked for only when a head is signed.
   */
  async issueTreeHead(signingKey: () => KeyObject): Promise<IssueOutcome> {
    const treeSize = await this.appendNewLeaves();
    const latest = await this.latestTreeHead();
    if (latest !== null && latest.treeSize === treeSize) return { status: 'unchanged', head: latest };
    if (treeSize === 0) throw new TreeHeadRefusedError('empty_log', 'the ledger holds no event yet: there is nothing to sign');
    const builder = new MerkleLogBuilder();
    for await (const leafHash of this.readLeafHashes(0, treeSize)) {
      builder.append(leafHash);
      if (latest !== null && builder.size === latest.treeSize && builder.root().toString('hex') !== latest.rootHash) {
        throw new TreeHeadRefusedError('log_rewritten',
          `the first ${latest.treeSize} leaves no longer give the root of the head issued at ${latest.issuedAt}: the log was rewritten under it; run "rsi-ledger verify"`);
      }
    }
    const clock = await this.pool.query<{ issued_at: string }>(
      `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS issued_at`,
    );
    const issuedAt = clock.rows[0]!.issued_at;
    if (latest !== null && issuedAt < latest.issuedAt) {
      throw new TreeHeadRefusedError('clock_went_back', `the database clock reads ${issuedAt}, before the latest head's ${latest.issuedAt}`);
    }
    const privateKey = signingKey();
    const head = signTreeHead({ treeSize, rootHash: builder.root().toString('hex'), issuedAt }, privateKey, publicKeyPemOf(privateKey));
    const inserted = await this.pool.query(
      `INSERT INTO tree_heads (tree_size, scheme, root_hash, issued_at, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tree_size) DO NOTHING`,
      [treeSize, TREE_HEAD_SCHEME, Buffer.from(head.rootHash, 'hex'), head.issuedAt, head.publicKey, head.signature],
    );
    if (inserted.rowCount === 1) return { status: 'issued', head };
    // Another issuer signed this size at the same time: its head is the one on record.
    const stored = await this.pool.query<TreeHeadRow>(`SELECT ${TREE_HEAD_COLUMNS} FROM tree_heads WHERE tree_size = $1`, [treeSize]);
    return { status: 'unchanged', head: treeHeadOfRow(stored.rows[0]!) };
  }

  /** The consistency proof from the log's first `oldSize` leaves to its first `newSize`, with both roots. */
  async consistencyProof(oldSize: number, newSize: number): Promise<ConsistencyProofDocument> {
    const leafCount = await this.leafCount();
    if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize || newSize > leafCount) {
      throw new LogProofUnavailableError(`a consistency proof needs 1 <= first <= second <= ${leafCount} (the leaves in the log)`);
    }
    const hashes = this.subtreeHashes();
    const proof = await consistencyProofOf(oldSize, newSize, hashes);
    const oldRoot = Buffer.from(await hashes.rangeHash(0, oldSize)).toString('hex');
    const newRoot = Buffer.from(await hashes.rangeHash(0, newSize)).toString('hex');
    return { oldSize, newSize, oldRoot, newRoot, proof };
  }

  /** The inclusion proof of an event's leaf in the tree of the log's first `treeSize` leaves. */
  async inclusionProof(eventId: string, treeSize: number): Promise<InclusionProofDocument> {
    const leafCount = await this.leafCount();
    if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > leafCount) {
      throw new LogProofUnavailableError(`treeSize must be from 1 to ${leafCount} (the leaves in the log)`);
    }
    const found = await this.pool.query<{ leaf_index: string; leaf_hash: Buffer }>(
      'SELECT leaf_index::text AS leaf_index, leaf_hash FROM transparency_log_leaves WHERE event_id = $1::uuid', [eventId],
    );
    const row = found.rows[0];
    if (row === undefined) throw new LogProofUnavailableError(`event ${eventId} is not in the log yet (the next head adds it)`);
    const leafIndex = Number(row.leaf_index);
    if (leafIndex >= treeSize) throw new LogProofUnavailableError(`event ${eventId} is leaf ${leafIndex}, not in the first ${treeSize} leaves`);
    const hashes = this.subtreeHashes();
    const proof = await inclusionProofOf(leafIndex, treeSize, hashes);
    const rootHash = Buffer.from(await hashes.rangeHash(0, treeSize)).toString('hex');
    return { eventId, leafIndex, treeSize, leafHash: row.leaf_hash.toString('hex'), rootHash, proof };
  }
}
