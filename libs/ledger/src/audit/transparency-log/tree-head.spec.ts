import { generateKeyPairSync } from 'node:crypto';
import { publicKeyPemOf } from '../seal-signing-key';
import { leafHashOf, MerkleLogBuilder, consistencyProofOf, subtreeHashSourceOfLeafHashes } from './merkle-log';
import { PerfectSubtreeCache } from './perfect-subtree-cache';
import { logLeafDataOf } from './log-leaf';
import { checkTreeHeadConsistency, signTreeHead, treeHeadSignedMessage, treeHeadSignatureHolds, type TreeHead } from './tree-head';

const platformKey = generateKeyPairSync('ed25519').privateKey;
const platformPem = publicKeyPemOf(platformKey);

function leavesOf(entries: readonly string[]): Buffer[] {
  return entries.map((entry) => leafHashOf(Buffer.from(entry, 'utf8')));
}

function headOf(leaves: readonly Buffer[], issuedAt: string, key = platformKey): TreeHead {
  const builder = new MerkleLogBuilder();
  for (const leaf of leaves) builder.append(leaf);
  return signTreeHead({ treeSize: leaves.length, rootHash: builder.root().toString('hex'), issuedAt }, key, publicKeyPemOf(key));
}

async function proofBetween(leaves: readonly Buffer[], oldSize: number, newSize: number, oldRoot: string, newRoot: string) {
  return { oldSize, newSize, oldRoot, newRoot, proof: await consistencyProofOf(oldSize, newSize, subtreeHashSourceOfLeafHashes(leaves)) };
}

describe('log leaf encoding', () => {
  it('is the canonical JSON of the identifying fields, byte for byte', () => {
    const data = logLeafDataOf({
      eventHash: 'a'.repeat(64), eventId: '0b7f6d2e-8c1a-5d3e-9f4b-2a6c8e0d1f3b', recordedAt: '2026-01-25T12:00:00.000Z',
      streamName: 'developer-ada', streamVersion: '3',
    });
    expect(data.toString('utf8')).toBe(
      `{"eventHash":"${'a'.repeat(64)}","eventId":"0b7f6d2e-8c1a-5d3e-9f4b-2a6c8e0d1f3b","recordedAt":"2026-01-25T12:00:00.000Z",` +
      '"scheme":"rsi-ledger/log-leaf/v1","streamName":"developer-ada","streamVersion":"3"}',
    );
  });

  it('refuses fields that cannot identify an event', () => {
    const fields = { eventHash: 'a'.repeat(64), eventId: '0b7f6d2e-8c1a-5d3e-9f4b-2a6c8e0d1f3b', recordedAt: 'x', streamName: 's', streamVersion: '0' };
    expect(() => logLeafDataOf({ ...fields, eventHash: 'A'.repeat(64) })).toThrow('eventHash');
    expect(() => logLeafDataOf({ ...fields, streamVersion: '01' })).toThrow('streamVersion');
    expect(() => logLeafDataOf({ ...fields, eventId: 'not-a-uuid' })).toThrow('eventId');
  });
});

describe('PerfectSubtreeCache', () => {
  it('gives the hash of every node a proof asks for, as folding its leaves does', async () => {
    for (let size = 1; size <= 33; size += 1) {
      const leaves = leavesOf(Array.from({ length: size }, (_, index) => `entry ${index}`));
      const cache = new PerfectSubtreeCache(Buffer.concat(leaves));
      const folded = subtreeHashSourceOfLeafHashes(leaves);
      for (let oldSize = 1; oldSize <= size; oldSize += 1) {
        expect(await consistencyProofOf(oldSize, size, cache)).toEqual(await consistencyProofOf(oldSize, size, folded));
      }
      expect(cache.rangeHash(0, size)).toEqual(folded.rangeHash(0, size));
    }
  });
});

describe('signed tree heads and the offline consistency check', () => {
  const log = leavesOf(Array.from({ length: 13 }, (_, index) => `event ${index}`));
  const oldHead = headOf(log.slice(0, 5), '2026-03-01T08:00:00.000Z');
  const newHead = headOf(log, '2026-03-01T08:05:00.000Z');

  it('signs exactly {issuedAt, rootHash, scheme, treeSize} in canonical JSON', () => {
    expect(treeHeadSignedMessage(oldHead)).toBe(
      `{"issuedAt":"2026-03-01T08:00:00.000Z","rootHash":"${oldHead.rootHash}","scheme":"rsi-ledger/tree-head/v1","treeSize":"5"}`,
    );
    expect(treeHeadSignatureHolds(oldHead, platformPem)).toBe(true);
    expect(treeHeadSignatureHolds({ ...oldHead, issuedAt: '2026-03-01T08:00:00.001Z' }, platformPem)).toBe(false);
  });

  it('accepts an appended log: both heads signed by the published key, the proof holds', async () => {
    const proof = await proofBetween(log, 5, 13, oldHead.rootHash, newHead.rootHash);
    const check = checkTreeHeadConsistency({ oldHead, newHead, proof, publicKeyPem: platformPem });
    expect(check).toEqual({ ok: true, message: expect.stringContaining('extends the log of 5 events') });
  });

  it('refuses a forged second head (signed by another key, or altered after signing)', async () => {
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    const forged = headOf(log, '2026-03-01T08:05:00.000Z', otherKey);
    const proof = await proofBetween(log, 5, 13, oldHead.rootHash, forged.rootHash);
    expect(checkTreeHeadConsistency({ oldHead, newHead: forged, proof, publicKeyPem: platformPem }))
      .toEqual({ ok: false, message: 'new head: it names another key than the published one' });
    const relabelled = { ...forged, publicKey: platformPem };
    expect(checkTreeHeadConsistency({ oldHead, newHead: relabelled, proof, publicKeyPem: platformPem }))
      .toEqual({ ok: false, message: expect.stringContaining('new head: the signature does not hold') });
    const altered = { ...newHead, treeSize: 14 };
    expect(checkTreeHeadConsistency({ oldHead, newHead: altered, proof: { ...proof, newSize: 14 }, publicKeyPem: platformPem }).ok).toBe(false);
  });

  it('refuses a rewritten history even under the genuine key: no proof links the old head to it', async () => {
    // An insider with the key edits event 2 (under the old head), rebuilds and signs a head.
    const rewritten = [...log];
    rewritten[2] = leafHashOf(Buffer.from('event 2, edited', 'utf8'));
    const rewrittenHead = headOf(rewritten, '2026-03-01T08:05:00.000Z');
    expect(treeHeadSignatureHolds(rewrittenHead, platformPem)).toBe(true);
    // The proof the rewritten log gives, claimed from the old (genuine) root.
    const proof = await proofBetween(rewritten, 5, 13, oldHead.rootHash, rewrittenHead.rootHash);
    const check = checkTreeHeadConsistency({ oldHead, newHead: rewrittenHead, proof, publicKeyPem: platformPem });
    expect(check).toEqual({ ok: false, message: expect.stringContaining('does not extend the log of 5 events') });
    // Nor does the genuine log's proof fit the rewritten head.
    const genuineProof = await proofBetween(log, 5, 13, oldHead.rootHash, rewrittenHead.rootHash);
    expect(checkTreeHeadConsistency({ oldHead, newHead: rewrittenHead, proof: genuineProof, publicKeyPem: platformPem }).ok).toBe(false);
  });

  it('refuses a proof between other trees than the heads, and malformed input, without throwing', async () => {
    const proof = await proofBetween(log, 4, 13, headOf(log.slice(0, 4), '2026-03-01T07:00:00.000Z').rootHash, newHead.rootHash);
    expect(checkTreeHeadConsistency({ oldHead, newHead, proof, publicKeyPem: platformPem }))
      .toEqual({ ok: false, message: expect.stringContaining('between other trees') });
    expect(checkTreeHeadConsistency({ oldHead: 'x', newHead, proof, publicKeyPem: platformPem }).ok).toBe(false);
    expect(checkTreeHeadConsistency({ oldHead, newHead, proof: { ...proof, oldSize: 5, oldRoot: oldHead.rootHash, proof: 'x' }, publicKeyPem: platformPem }).ok).toBe(false);
    expect(checkTreeHeadConsistency({ oldHead: newHead, newHead: oldHead, proof, publicKeyPem: platformPem }))
      .toEqual({ ok: false, message: expect.stringContaining('swap them') });
  });
});
