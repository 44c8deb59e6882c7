import { createHash } from 'node:crypto';
import {
  emptyMerkleRoot, expectedProofSides, MerkleRootAccumulator, MerkleTree, merkleLeafOf, merkleNodeOf, merkleRootFromProof,
} from './merkle-tree';
import { nextPeriod, parsePeriod } from './accounting-period';

const BOOKED_AT = '2026-03-04T05:06:07.089Z';

function eventHash(index: number): string {
  return createHash('sha256').update(`event ${index}`).digest('hex');
}

function leavesOf(count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, index) => merkleLeafOf(eventHash(index), BOOKED_AT)));
}

describe('Merkle tree of a seal', () => {
  it('is domain-separated: leaf = H(0x00 ‖ eventHash ‖ recordedAt), node = H(0x01 ‖ left ‖ right), empty = H(0x02)', () => {
    const leaf = merkleLeafOf(eventHash(0), BOOKED_AT);
    const expected = createHash('sha256').update(Buffer.of(0)).update(Buffer.from(eventHash(0), 'hex')).update(BOOKED_AT).digest();
    expect(leaf.equals(expected)).toBe(true);
    const node = merkleNodeOf(leaf, leaf);
    expect(node.equals(createHash('sha256').update(Buffer.of(1)).update(leaf).update(leaf).digest())).toBe(true);
    expect(emptyMerkleRoot().toString('hex')).toBe(createHash('sha256').update(Buffer.of(2)).digest('hex'));
    expect(MerkleTree.fromLeafBuffer(Buffer.alloc(0)).rootHex()).toBe(emptyMerkleRoot().toString('hex'));
  });

  it('promotes an odd node: the root of three leaves is H(H(a, b), c)', () => {
    const [a, b, c] = [0, 1, 2].map((index) => merkleLeafOf(eventHash(index), BOOKED_AT));
    expect(MerkleTree.fromLeafBuffer(Buffer.concat([a!, b!, c!])).rootHex()).toBe(merkleNodeOf(merkleNodeOf(a!, b!), c!).toString('hex'));
  });

  it('gives the same root streamed as built level by level, and every proof leads to it, for 1..70 leaves', () => {
    for (let count = 1; count <= 70; count += 1) {
      const leaves = leavesOf(count);
      const tree = MerkleTree.fromLeafBuffer(leaves);
      const accumulator = new MerkleRootAccumulator();
      for (let index = 0; index < count; index += 1) accumulator.add(leaves.subarray(index * 32, (index + 1) * 32));
      expect([count, accumulator.rootHex()]).toEqual([count, tree.rootHex()]);
      for (let index = 0; index < count; index += 1) {
        const proof = tree.proofOf(index);
        expect(proof.map((step) => step.side)).toEqual(expectedProofSides(index, count));
        expect(merkleRootFromProof(leaves.subarray(index * 32, (index + 1) * 32), proof)).toBe(tree.rootHex());
      }
    }
  });

  it('a proof does not hold for another leaf or with a flipped side', () => {
    const leaves = leavesOf(9);
    const tree = MerkleTree.fromLeafBuffer(leaves);
    const proof = tree.proofOf(4);
    expect(merkleRootFromProof(leaves.subarray(5 * 32, 6 * 32), proof)).not.toBe(tree.rootHex());
    const flipped = proof.map((step, index) => (index === 0 ? { ...step, side: step.side === 'left' ? 'right' as const : 'left' as const } : step));
    expect(merkleRootFromProof(leaves.subarray(4 * 32, 5 * 32), flipped)).not.toBe(tree.rootHex());
  });

  it('changes with the booking time: a line cannot move to another period under the same root', () => {
    expect(merkleLeafOf(eventHash(1), BOOKED_AT).equals(merkleLeafOf(eventHash(1), '2026-04-01T00:00:00.000Z'))).toBe(false);
  });
});

describe('accounting periods', () => {
  it('are UTC months with an exclusive end, December rolling over', () => {
    expect(parsePeriod('2026-12')).toEqual({ name: '2026-12', startIso: '2026-12-01T00:00:00.000Z', endIso: '2027-01-01T00:00:00.000Z' });
    expect(nextPeriod(parsePeriod('2026-02')).name).toBe('2026-03');
  });

  it.each(['2026-13', '2026-00', '26-03', '2026-3', '2026-03-01', '', 'march'])('refuses %p', (input) => {
    expect(() => parsePeriod(input)).toThrow(/YYYY-MM/);
  });
});
