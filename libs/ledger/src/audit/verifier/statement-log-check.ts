import { logLeafBytesOf, logLeafFieldsProblem, logLeafHashBytesOf, verifyInclusion, type LogLeafFields } from './log-inclusion';
import { hexOfBytes } from './portable-crypto';
import { samePublicKey } from './seal-record';
import { decodeTreeHead, treeHeadSignatureHolds, type TreeHead } from './tree-head-record';

/** The developer's stream, as the developer ledger names it (`developerStreamName`; a spec holds them equal). */
export function developerStreamNameOf(developerId: string): string {
  return `developer-${developerId}`;
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
  const streamName = typeof statement.developerId === 'string' ? developerStreamNameOf(statement.developerId) : null;
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
      leafIndex: entry.leafIndex as number, treeSize: head.treeSize, leafHash: hexOfBytes(logLeafHashBytesOf(logLeafBytesOf(fields))),
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
