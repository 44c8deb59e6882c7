import type { Pool } from 'pg';
import { writerKeyIdOf, writerSignatureHolds, type GlobalPosition, type RecordedEvent } from '@rsi/event-store';
import { formatPosition } from '@rsi/projections';
import { publicKeyFingerprint } from './seal-key-chain';
import { decodeWriterKeyIntroduction, introductionSignatureHolds, WRITER_KEY_INTRODUCED_EVENT_TYPE, WRITER_KEYS_STREAM_NAME } from './writer-key-chain';

/** Events named per finding; the count goes on beyond it. */
const EVENTS_NAMED_MAXIMUM = 3;

type SignatureRow = { firstPosition: bigint; lastPosition: bigint; eventCount: number; keyId: string; signature: string };

/** What the database says about writer signatures before the events are read: where they began, and the public keys by id. */
export type WriterSignatureContext = { unsignedEventsBefore: bigint; publicKeys: Map<string, string> };

export async function readWriterSignatureContext(pool: Pool): Promise<WriterSignatureContext> {
  const start = await pool.query<{ unsigned_events_before: string }>('SELECT unsigned_events_before::text AS unsigned_events_before FROM writer_signature_start');
  const keys = await pool.query<{ key_id: string; public_key: string }>('SELECT key_id, public_key FROM writer_public_keys');
  return {
    unsignedEventsBefore: BigInt(start.rows[0]?.unsigned_events_before ?? '0'),
    publicKeys: new Map(keys.rows.map((row) => [row.key_id, row.public_key])),
  };
}

type SignatureRowOfDatabase = { transaction_id: string; first_position: string; last_position: string; event_count: number; key_id: string; signature: string };
const SIGNATURE_COLUMNS = `transaction_id::text AS transaction_id, first_position::text AS first_position, last_position::text AS last_position, event_count, key_id, signature`;

function signatureRowsOf(rows: readonly SignatureRowOfDatabase[]): Map<bigint, SignatureRow> {
  return new Map(rows.map((row) => [BigInt(row.transaction_id), {
    firstPosition: BigInt(row.first_position), lastPosition: BigInt(row.last_position), eventCount: row.event_count, keyId: row.key_id, signature: row.signature,
  }]));
}

async function readSignatureRows(pool: Pool, commits: readonly bigint[]): Promise<Map<bigint, SignatureRow>> {
  const result = await pool.query<SignatureRowOfDatabase>(`SELECT ${SIGNATURE_COLUMNS} FROM writer_signatures WHERE transaction_id = ANY($1::text[]::xid8[])`, [commits.map(String)]);
  return signatureRowsOf(result.rows);
}

/** The signatures of the transactions after `afterCommit` (exclusive; null: from the start) up to `untilCommit` (inclusive). */
async function readSignatureRowsBetween(pool: Pool, afterCommit: bigint | null, untilCommit: bigint): Promise<Map<bigint, SignatureRow>> {
  const result = await pool.query<SignatureRowOfDatabase>(
    `SELECT ${SIGNATURE_COLUMNS} FROM writer_signatures WHERE transaction_id > $1::text::xid8 AND transaction_id <= $2::text::xid8 ORDER BY transaction_id`,
    [String(afterCommit ?? 0n), String(untilCommit)],
  );
  return signatureRowsOf(result.rows);
}

export type SignedAppend = { keyId: string; eventCount: number; lastPosition: GlobalPosition };

/**
 * Follows the events in global order, one append (one transaction: the `commit` of their
 * global positions) at a time, and checks each append's writer signature: a row for its
 * transaction, naming exactly its events (count, first and last position), under a recorded
 * public key whose id is its fingerprint, holding over the events' stored hashes in order.
 * Events among the first `unsignedEventsBefore` (written before migration 0011) may carry
 * none; any other unsigned event is a failure naming it.
 */
export class AppendSignatureChecker {
  private batch: RecordedEvent[] = [];
  private rows = new Map<bigint, SignatureRow>();
  private eventsBeforeBatch = 0n;
  /** Signatures are read by ranges of transactions, up to this one: a signed transaction in a range with no event in it lost its events. */
  private readUpToCommit: bigint | null = null;
  legacyEvents = 0;
  legacyLastPosition: GlobalPosition | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly context: WriterSignatureContext,
    private readonly describe: (recorded: RecordedEvent) => string,
    private readonly fail: (message: string) => void,
    private readonly signed: (append: SignedAppend) => void,
  ) {}

  async observe(events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const lastCommit = events[events.length - 1]!.globalPosition.commit;
    if (this.readUpToCommit === null || lastCommit > this.readUpToCommit) {
      const commits = new Set(events.map((recorded) => recorded.globalPosition.commit));
      for (const [commit, row] of await readSignatureRowsBetween(this.pool, this.readUpToCommit, lastCommit)) {
        if (commits.has(commit)) this.rows.set(commit, row);
        else this.failEventsGone(commit, row);
      }
      this.readUpToCommit = lastCommit;
    }
    for (const recorded of events) {
      const current = this.batch[0];
      if (current !== undefined && current.globalPosition.commit !== recorded.globalPosition.commit) this.finishBatch();
      this.batch.push(recorded);
    }
  }

  /** `headCommit`: the transaction of the store's head when the read began; signed transactions up to it with no event read are reported. */
  async finish(headCommit: bigint | null): Promise<void> {
    if (this.batch.length > 0) this.finishBatch();
    if (headCommit !== null && (this.readUpToCommit === null || headCommit > this.readUpToCommit)) {
      for (const [commit, row] of await readSignatureRowsBetween(this.pool, this.readUpToCommit, headCommit)) this.failEventsGone(commit, row);
      this.readUpToCommit = headCommit;
    }
  }

  private failEventsGone(commit: bigint, row: SignatureRow): void {
    this.fail(`append of transaction ${commit} (${row.eventCount} event(s), positions ${commit}/${row.firstPosition}..${commit}/${row.lastPosition}): ` +
      'signed by the writer, but none of its events is in the store: they were deleted');
  }

  private names(events: readonly RecordedEvent[]): string {
    const named = events.slice(0, EVENTS_NAMED_MAXIMUM).map(this.describe).join('; ');
    return events.length > EVENTS_NAMED_MAXIMUM ? `${named}; and ${events.length - EVENTS_NAMED_MAXIMUM} more of the same append` : named;
  }

  private finishBatch(): void {
    const batch = this.batch;
    this.batch = [];
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    const commit = first.globalPosition.commit;
    const row = this.rows.get(commit);
    this.rows.delete(commit);
    const eventsBefore = this.eventsBeforeBatch;
    this.eventsBeforeBatch += BigInt(batch.length);
    if (row === undefined) {
      if (eventsBefore + BigInt(batch.length) <= this.context.unsignedEventsBefore) {
        this.legacyEvents += batch.length;
        this.legacyLastPosition = last.globalPosition;
      } else {
        this.fail(`${this.names(batch)}: carries no writer signature (no signed append holds it): written outside the application, or its signature was removed`);
      }
      return;
    }
    const where = `append of transaction ${commit} (${batch.length} event(s), positions ${formatPosition(first.globalPosition)}..${formatPosition(last.globalPosition)})`;
    if (row.eventCount !== batch.length || row.firstPosition !== first.globalPosition.prepare || row.lastPosition !== last.globalPosition.prepare) {
      this.fail(`${where}: its writer signature covers ${row.eventCount} event(s) at positions ${row.firstPosition}..${row.lastPosition}: ` +
        `events were added to or removed from it: ${this.names(batch)}`);
      return;
    }
    const publicKey = this.context.publicKeys.get(row.keyId);
    if (publicKey === undefined || writerKeyIdOf(publicKey) !== row.keyId) {
      this.fail(`${where}: signed by writer key ${row.keyId.slice(0, 16)}, whose public key is not recorded: ${this.names(batch)}`);
      return;
    }
    if (!writerSignatureHolds(publicKey, batch.map((recorded) => String(recorded.metadata.eventHash)), row.signature)) {
      this.fail(`${where}: the writer signature does not hold over its events' hashes (an event was changed, swapped or forged): ${this.names(batch)}`);
      return;
    }
    this.signed({ keyId: row.keyId, eventCount: batch.length, lastPosition: last.globalPosition });
  }
}

type KeyUse = { appends: number; events: number; lastPosition: GlobalPosition };
type Introduction = { sealFingerprint: string; position: GlobalPosition };

/**
 * The writer-signature part of `verify`: each append's signature (`AppendSignatureChecker`),
 * then each signing key's anchor: a `WriterKeyIntroduced` event whose seal signature holds,
 * by a seal key the auditor trusts (`anchors`). Once the ledger holds such an introduction, a
 * key that none introduced is refused (an outsider's key); before, it is a warning. A key is
 * retired by the introduction that names it as the previous key: it signs nothing after it.
 */
export class WriterSignatureAudit {
  private readonly checker: AppendSignatureChecker;
  private readonly uses = new Map<string, KeyUse>();
  private readonly introductions = new Map<string, Introduction[]>();
  private readonly retirements = new Map<string, GlobalPosition>();
  readonly warnings: string[] = [];

  private constructor(
    pool: Pool,
    context: WriterSignatureContext,
    private readonly describe: (recorded: RecordedEvent) => string,
    private readonly fail: (message: string) => void,
    private readonly pass: () => void,
  ) {
    this.checker = new AppendSignatureChecker(pool, context, describe, fail, (append) => {
      const use = this.uses.get(append.keyId) ?? { appends: 0, events: 0, lastPosition: append.lastPosition };
      use.appends += 1;
      use.events += append.eventCount;
      use.lastPosition = append.lastPosition;
      this.uses.set(append.keyId, use);
      pass();
    });
  }

  static async start(pool: Pool, describe: (recorded: RecordedEvent) => string, fail: (message: string) => void, pass: () => void): Promise<WriterSignatureAudit> {
    return new WriterSignatureAudit(pool, await readWriterSignatureContext(pool), describe, fail, pass);
  }

  async observe(events: readonly RecordedEvent[]): Promise<void> {
    for (const recorded of events) {
      if (recorded.streamName !== WRITER_KEYS_STREAM_NAME || recorded.type !== WRITER_KEY_INTRODUCED_EVENT_TYPE) continue;
      try {
        const introduction = decodeWriterKeyIntroduction(recorded.data);
        const keyId = writerKeyIdOf(introduction.writerPublicKey);
        const sealFingerprint = publicKeyFingerprint(introduction.sealPublicKey);
        if (keyId === null || sealFingerprint === null || !introductionSignatureHolds(introduction)) {
          this.fail(`${this.describe(recorded)}: the seal key's signature of this writer key introduction does not hold: it introduces nothing`);
          continue;
        }
        this.introductions.set(keyId, [...(this.introductions.get(keyId) ?? []), { sealFingerprint, position: recorded.globalPosition }]);
        const previous = introduction.previousWriterPublicKey === null ? null : writerKeyIdOf(introduction.previousWriterPublicKey);
        if (previous !== null && previous !== keyId && !this.retirements.has(previous)) this.retirements.set(previous, recorded.globalPosition);
      } catch (error) {
        this.fail(`${this.describe(recorded)}: not a writer key introduction: ${(error as Error).message}`);
      }
    }
    await this.checker.observe(events);
  }

  async finish(headCommit: bigint | null, sealKeyAnchors: (fingerprint: string) => boolean): Promise<void> {
    await this.checker.finish(headCommit);
    if (this.checker.legacyEvents > 0) {
      this.warnings.push(`writer signatures: the ${this.checker.legacyEvents} event(s) up to position ${formatPosition(this.checker.legacyLastPosition!)} ` +
        'carry no writer signature (written before writer signatures, migration 0011): they are covered by their hash chains, seals and tree heads only');
    }
    const anchored = new Set<string>();
    for (const [keyId, introductions] of this.introductions) if (introductions.some((entry) => sealKeyAnchors(entry.sealFingerprint))) anchored.add(keyId);
    for (const [keyId, use] of this.uses) {
      const name = `writer key ${keyId.slice(0, 16)} (${use.appends} append(s), ${use.events} event(s), the last at ${formatPosition(use.lastPosition)})`;
      if (!anchored.has(keyId)) {
        if (anchored.size > 0) {
          this.fail(`${name}: no seal key you trust introduced it (WriterKeyIntroduced), while the ledger's own writer keys are introduced: a key from outside the platform`);
        } else {
          this.warnings.push(`writer signatures: ${name} is not introduced by a seal key you trust yet ("rsi-ledger seal" or "rsi-ledger writer-key introduce" does it): ` +
            'its signatures prove that one key wrote those appends, not whose');
        }
      }
      const retiredAt = this.retirements.get(keyId);
      if (retiredAt !== undefined && (use.lastPosition.commit > retiredAt.commit || (use.lastPosition.commit === retiredAt.commit && use.lastPosition.prepare > retiredAt.prepare))) {
        this.fail(`${name}: signed appends after its successor was introduced at ${formatPosition(retiredAt)} (a retired key signs nothing)`);
      }
    }
    if (this.uses.size > 0 || this.introductions.size > 0) this.pass();
  }
}

/**
 * For the tree-head issuer: the first event of `events` (read in global order, the first of
 * them the `firstOrdinal`-th event of the log) whose append has no valid writer signature,
 * described; null when every append holds. Each append is checked whole, over the hashes
 * its transaction stored, once (`checkedCommits`), whichever page its events fall in.
 */
export async function firstUnsignedEventOf(
  pool: Pool, context: WriterSignatureContext, events: readonly RecordedEvent[], firstOrdinal: bigint, checkedCommits: Set<bigint>,
): Promise<{ event: RecordedEvent; reason: string } | null> {
  const commits = [...new Set(events.map((recorded) => recorded.globalPosition.commit))].filter((commit) => !checkedCommits.has(commit));
  if (commits.length === 0) return null;
  const rows = await readSignatureRows(pool, commits);
  for (let index = 0; index < events.length; index += 1) {
    const recorded = events[index]!;
    const commit = recorded.globalPosition.commit;
    if (checkedCommits.has(commit)) continue;
    const row = rows.get(commit);
    if (row === undefined) {
      if (firstOrdinal + BigInt(index) < context.unsignedEventsBefore) continue;
      return { event: recorded, reason: 'carries no writer signature' };
    }
    const stored = await pool.query<{ event_hash: string | null }>(
      `SELECT metadata->>'eventHash' AS event_hash FROM events WHERE transaction_id = $1::text::xid8 ORDER BY events.position`, [String(commit)],
    );
    const publicKey = context.publicKeys.get(row.keyId) ?? (await pool.query<{ public_key: string }>('SELECT public_key FROM writer_public_keys WHERE key_id = $1', [row.keyId])).rows[0]?.public_key;
    const holds = publicKey !== undefined && writerKeyIdOf(publicKey) === row.keyId && stored.rows.length === row.eventCount
      && writerSignatureHolds(publicKey, stored.rows.map((hashRow) => String(hashRow.event_hash)), row.signature);
    if (!holds) return { event: recorded, reason: `its append (transaction ${commit}) has a writer signature that does not hold` };
    checkedCommits.add(commit);
  }
  return null;
}
