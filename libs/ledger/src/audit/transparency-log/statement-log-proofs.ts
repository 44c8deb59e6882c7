import type { EventStore } from '@rsi/event-store';
import { developerStreamName } from '../../developer-ledger';
import type { DeveloperStatement } from '../developer-statement';
import { samePublicKey } from '../period-seal';
import { logLeafDataOf, logLeafFieldsProblem, type LogLeafFields } from './log-leaf';
import { HASH_BYTES, inclusionProofOf, leafHashOf, verifyInclusion } from './merkle-log';
import { CACHED_LEAVES_MAXIMUM, PerfectSubtreeCache } from './perfect-subtree-cache';
import { decodeTreeHead, treeHeadSignatureHolds, type StatementLogProof, type StatementLogProofs, type TreeHead } from './tree-head';

export type { StatementLogProof, StatementLogProofs };
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

export type StatementLogCheck = {
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  /** Lines whose inclusion in the signed head was checked. */
  linesProven: number;
  /** Lines with no proof: booked after the head (a later statement proves them). */
  linesNotInLog: number;
};

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The offline check of a statement's `transparencyLog` companion: the head's signature (under
 * the published key when given), and every proof from the line's recomputed leaf to the head's
 * root (RFC 9162 §2.1.3.2). Null when the statement carries none (statements from before tree
 * heads still verify by their seal). Every problem goes to `fail`; never throws.
 */
export function checkStatementLogProofs(statement: UnknownRecord, options: { publicKeyPem?: string }, fail: (message: string) => void): StatementLogCheck | null {
  const companion = statement.transparencyLog;
  if (companion === undefined || companion === null) return null;
  if (!isRecord(companion) || !Array.isArray(companion.lines)) {
    fail('transparencyLog: expected {treeHead, lines}');
    return null;
  }
  let head: TreeHead;
  try {
    head = decodeTreeHead(companion.treeHead);
  } catch (error) {
    fail(`transparencyLog.treeHead: ${(error as Error).message}`);
    return null;
  }
  if (options.publicKeyPem !== undefined && !samePublicKey(options.publicKeyPem, head.publicKey)) fail('transparencyLog.treeHead: signed with another key than the published one');
  if (!treeHeadSignatureHolds(head, options.publicKeyPem ?? head.publicKey)) fail('transparencyLog.treeHead: the Ed25519 signature of the head does not hold');
  const statementLines = Array.isArray(statement.lines) ? (statement.lines as unknown[]) : [];
  if (companion.lines.length > statementLines.length) {
    fail('transparencyLog.lines: more proofs than the statement has lines');
    return null;
  }
  const linesById = new Map<string, UnknownRecord>();
  for (const line of statementLines) if (isRecord(line) && typeof line.eventId === 'string') linesById.set(line.eventId, line);
  const streamName = typeof statement.developerId === 'string' ? developerStreamName(statement.developerId) : null;
  const proven = new Set<string>();
  const leafIndexes = new Set<number>();
  companion.lines.forEach((entry: unknown, index: number) => {
    const where = `transparencyLog.lines[${index}]`;
    if (!isRecord(entry) || typeof entry.eventId !== 'string') {
      fail(`${where}: expected {eventId, streamName, streamVersion, leafIndex, proof}`);
      return;
    }
    const line = linesById.get(entry.eventId);
    if (line === undefined) return fail(`${where}: event ${entry.eventId} is no line of this statement`);
    if (proven.has(entry.eventId)) return fail(`${where}: event ${entry.eventId} is proven twice`);
    if (entry.streamName !== streamName) return fail(`${where}: stream ${JSON.stringify(entry.streamName)} is not the developer's stream`);
    if (typeof entry.leafIndex === 'number' && leafIndexes.has(entry.leafIndex)) return fail(`${where}: leaf ${entry.leafIndex} is claimed by two lines`);
    const fields = { eventHash: line.eventHash, eventId: entry.eventId, recordedAt: line.bookedAt, streamName: entry.streamName, streamVersion: entry.streamVersion } as LogLeafFields;
    const problem = logLeafFieldsProblem(fields);
    if (problem !== null) return fail(`${where}: ${problem}`);
    const verification = verifyInclusion({
      leafIndex: entry.leafIndex as number, treeSize: head.treeSize, leafHash: leafHashOf(logLeafDataOf(fields)).toString('hex'),
      proof: entry.proof as string[], root: head.rootHash,
    });
    if (!verification.valid) return fail(`${where}: event ${entry.eventId} is not proven in the tree head of ${head.treeSize} events: ${verification.reason}`);
    proven.add(entry.eventId);
    leafIndexes.add(entry.leafIndex as number);
  });
  return {
    treeSize: head.treeSize, rootHash: head.rootHash, issuedAt: head.issuedAt, linesProven: proven.size,
    linesNotInLog: statementLines.length - proven.size,
  };
}
