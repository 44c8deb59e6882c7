import { createHash } from 'node:crypto';
import * as fc from 'fast-check';
import {
  ConsistencyClaim, consistencyProofOf, consistencyProofRangesOf, emptyRootHash, InclusionClaim, inclusionProofOf,
  inclusionProofRangesOf, leafHashOf, MerkleLogBuilder, nodeHashOf, PROOF_LENGTH_MAXIMUM, rootOf,
  subtreeHashSourceOfLeafHashes, subtreeHashSourceOfLeafReader, TREE_SIZE_MAXIMUM, verifyConsistency, verifyInclusion,
} from './merkle-log';
import vectors from './testdata/transparency-dev-merkle.vectors.json';

// ---- The published vectors (transparency-dev/merkle, Apache-2.0; see the file's `comment`). ----

type PublishedInclusion = {
  file: string; leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean;
};
type PublishedConsistency = {
  file: string; size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean;
};

const publishedInclusions = vectors.inclusion as PublishedInclusion[];
const publishedConsistencies = vectors.consistency as PublishedConsistency[];
const leafInputs = vectors.leafInputsHex.map((hex) => Buffer.from(hex, 'hex'));
const publishedLeafHashes = leafInputs.map((input) => leafHashOf(input));

/** The vectors spell hashes in base64; this module speaks lower-case hex. Non-hashes stay non-hashes. */
function hexOfBase64(base64: string): string {
  return Buffer.from(base64, 'base64').toString('hex');
}

function inclusionClaimOf(vector: PublishedInclusion): InclusionClaim {
  return {
    leafIndex: vector.leafIdx,
    treeSize: vector.treeSize,
    leafHash: hexOfBase64(vector.leafHash),
    proof: (vector.proof ?? []).map(hexOfBase64),
    root: hexOfBase64(vector.root),
  };
}

function consistencyClaimOf(vector: PublishedConsistency): ConsistencyClaim {
  return {
    oldSize: vector.size1,
    newSize: vector.size2,
    oldRoot: hexOfBase64(vector.root1),
    newRoot: hexOfBase64(vector.root2),
    proof: (vector.proof ?? []).map(hexOfBase64),
  };
}

// ---- A reference written straight from the recursive definitions of RFC 9162 §2.1. ----

function sha256(...parts: Buffer[]): Buffer {
  return createHash('sha256').update(Buffer.concat(parts)).digest();
}

function largestPowerOfTwoBelow(count: number): number {
  let split = 1;
  while (split * 2 < count) split *= 2;
  return split;
}

function referenceRoot(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return sha256();
  if (leafHashes.length === 1) return leafHashes[0]!;
  const split = largestPowerOfTwoBelow(leafHashes.length);
  return sha256(Buffer.of(1), referenceRoot(leafHashes.slice(0, split)), referenceRoot(leafHashes.slice(split)));
}

function referencePath(index: number, leafHashes: readonly Buffer[]): Buffer[] {
  if (leafHashes.length === 1) return [];
  const split = largestPowerOfTwoBelow(leafHashes.length);
  if (index < split) return [...referencePath(index, leafHashes.slice(0, split)), referenceRoot(leafHashes.slice(split))];
  return [...referencePath(index - split, leafHashes.slice(split)), referenceRoot(leafHashes.slice(0, split))];
}

function referenceSubproof(oldSize: number, leafHashes: readonly Buffer[], isOldRootKnown: boolean): Buffer[] {
  if (oldSize === leafHashes.length) return isOldRootKnown ? [] : [referenceRoot(leafHashes)];
  const split = largestPowerOfTwoBelow(leafHashes.length);
  if (oldSize <= split) {
    return [...referenceSubproof(oldSize, leafHashes.slice(0, split), isOldRootKnown), referenceRoot(leafHashes.slice(split))];
  }
  return [...referenceSubproof(oldSize - split, leafHashes.slice(split), false), referenceRoot(leafHashes.slice(0, split))];
}

const hexOf = (hashes: readonly Buffer[]): string[] => hashes.map((hash) => hash.toString('hex'));

// ---- Tampering. ----

function withBitFlipped(hex: string, bitIndex: number): string {
  const bytes = Buffer.from(hex, 'hex');
  bytes[Math.floor(bitIndex / 8) % bytes.length]! ^= 1 << (bitIndex % 8);
  return bytes.toString('hex');
}

function withSwapped(proof: readonly string[], index: number): string[] {
  const swapped = [...proof];
  [swapped[index], swapped[index + 1]] = [swapped[index + 1]!, swapped[index]!];
  return swapped;
}

const ZERO_HASH = '0'.repeat(64);

function inclusionTamperings(claim: InclusionClaim): { name: string; claim: InclusionClaim }[] {
  const { proof } = claim;
  const tamperings = [
    { name: 'index - 1', claim: { ...claim, leafIndex: claim.leafIndex - 1 } },
    { name: 'index + 1', claim: { ...claim, leafIndex: claim.leafIndex + 1 } },
    { name: 'index xor 2', claim: { ...claim, leafIndex: claim.leafIndex ^ 2 } },
    // Not size ± 1: a path can fit several sizes (see 'binds the root, not the size' below).
    { name: 'size × 2', claim: { ...claim, treeSize: claim.treeSize * 2 } },
    { name: 'size / 2', claim: { ...claim, treeSize: Math.floor(claim.treeSize / 2) } },
    { name: 'empty-tree root', claim: { ...claim, root: emptyRootHash().toString('hex') } },
    { name: 'leaf hash flipped', claim: { ...claim, leafHash: withBitFlipped(claim.leafHash, 0) } },
    { name: 'root flipped', claim: { ...claim, root: withBitFlipped(claim.root, 255) } },
    { name: 'extended with the root', claim: { ...claim, proof: [...proof, claim.root] } },
    { name: 'extended with zeros', claim: { ...claim, proof: [...proof, ZERO_HASH] } },
    { name: 'preceded by the root', claim: { ...claim, proof: [claim.root, ...proof] } },
  ];
  for (let index = 0; index < proof.length; index += 1) {
    tamperings.push({ name: `proof[${index}] bit 3 flipped`, claim: { ...claim, proof: proof.map((hash, at) => (at === index ? withBitFlipped(hash, 3) : hash)) } });
  }
  if (proof.length > 0) tamperings.push({ name: 'truncated', claim: { ...claim, proof: proof.slice(0, -1) } });
  for (let index = 0; index + 1 < proof.length; index += 1) {
    tamperings.push({ name: `siblings ${index} and ${index + 1} swapped`, claim: { ...claim, proof: withSwapped(proof, index) } });
  }
  return tamperings;
}

function consistencyTamperings(claim: ConsistencyClaim): { name: string; claim: ConsistencyClaim }[] {
  const { proof } = claim;
  const tamperings = [
    { name: 'old size - 1', claim: { ...claim, oldSize: claim.oldSize - 1 } },
    { name: 'old size + 1', claim: { ...claim, oldSize: claim.oldSize + 1 } },
    { name: 'old size xor 2', claim: { ...claim, oldSize: claim.oldSize ^ 2 } },
    { name: 'old size 0', claim: { ...claim, oldSize: 0 } },
    { name: 'old size > new size', claim: { ...claim, oldSize: claim.newSize + 1 } },
    { name: 'sizes swapped', claim: { ...claim, oldSize: claim.newSize, newSize: claim.oldSize } },
    { name: 'new size × 2', claim: { ...claim, newSize: claim.newSize * 2 } },
    { name: 'new size / 2', claim: { ...claim, newSize: Math.floor(claim.newSize / 2) } },
    { name: 'roots swapped', claim: { ...claim, oldRoot: claim.newRoot, newRoot: claim.oldRoot } },
    { name: 'old root flipped', claim: { ...claim, oldRoot: withBitFlipped(claim.oldRoot, 7) } },
    { name: 'new root flipped', claim: { ...claim, newRoot: withBitFlipped(claim.newRoot, 7) } },
    { name: 'empty proof', claim: { ...claim, proof: [] } },
    { name: 'extended with the old root', claim: { ...claim, proof: [...proof, claim.oldRoot] } },
    { name: 'extended with the new root', claim: { ...claim, proof: [...proof, claim.newRoot] } },
    { name: 'preceded by the old root', claim: { ...claim, proof: [claim.oldRoot, ...proof] } },
    { name: 'preceded by proof[0]', claim: { ...claim, proof: [proof[0]!, ...proof] } },
    { name: 'truncated', claim: { ...claim, proof: proof.slice(0, -1) } },
  ];
  for (let index = 0; index < proof.length; index += 1) {
    tamperings.push({ name: `proof[${index}] bit 4 flipped`, claim: { ...claim, proof: proof.map((hash, at) => (at === index ? withBitFlipped(hash, 4) : hash)) } });
  }
  for (let index = 0; index + 1 < proof.length; index += 1) {
    tamperings.push({ name: `siblings ${index} and ${index + 1} swapped`, claim: { ...claim, proof: withSwapped(proof, index) } });
  }
  return tamperings;
}

function refusedNames<Claim>(tamperings: { name: string; claim: Claim }[], verify: (claim: Claim) => { valid: boolean }): string[] {
  return tamperings.filter((tampering) => verify(tampering.claim).valid).map((tampering) => tampering.name);
}

// ---- Tests. ----

describe('RFC 9162 Merkle log against the transparency-dev/merkle vectors', () => {
  const sourceOfPublished = subtreeHashSourceOfLeafHashes(publishedLeafHashes);

  it('hashes the 8 published leaves and every published complete subtree identically', () => {
    expect(hexOf(publishedLeafHashes)).toEqual(vectors.nodeHashesHex[0]);
    vectors.nodeHashesHex.forEach((level, height) => {
      level.forEach((hashHex, position) => {
        const width = 2 ** height;
        expect(Buffer.from(sourceOfPublished.rangeHash(position * width, (position + 1) * width) as Buffer).toString('hex')).toBe(hashHex);
      });
    });
  });

  it('computes every published root for sizes 0..8, streamed, from a source and by the recursive definition', () => {
    expect(vectors.rootHashesHex).toHaveLength(9);
    for (let size = 0; size <= 8; size += 1) {
      const builder = new MerkleLogBuilder();
      for (const leafHash of publishedLeafHashes.slice(0, size)) builder.append(leafHash);
      expect([size, builder.size, builder.root().toString('hex')]).toEqual([size, size, vectors.rootHashesHex[size]]);
      expect(rootOf(size, (index) => publishedLeafHashes[index]!).toString('hex')).toBe(vectors.rootHashesHex[size]);
      expect(referenceRoot(publishedLeafHashes.slice(0, size)).toString('hex')).toBe(vectors.rootHashesHex[size]);
    }
    expect(emptyRootHash().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the published verdict on every published inclusion vector', () => {
    expect(publishedInclusions.length).toBeGreaterThan(90);
    const disagreements = publishedInclusions
      .map((vector) => ({ file: vector.file, wantErr: vector.wantErr, verdict: verifyInclusion(inclusionClaimOf(vector)) }))
      .filter((result) => result.verdict.valid === result.wantErr);
    expect(disagreements).toEqual([]);
  });

  it('gives the published verdict on every published consistency vector, but one where it is deliberately stricter', () => {
    expect(publishedConsistencies.length).toBeGreaterThan(90);
    const disagreements = publishedConsistencies
      .map((vector) => ({ file: vector.file, wantErr: vector.wantErr, verdict: verifyConsistency(consistencyClaimOf(vector)) }))
      .filter((result) => result.verdict.valid === result.wantErr);
    // That vector accepts equal sizes whose "roots" are the 12 bytes "don't care 2": the Go
    // verifier compares them without checking their length. A SHA-256 root is 32 bytes; this
    // verifier refuses anything else.
    expect(disagreements).toEqual([{
      file: 'testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json',
      wantErr: false,
      verdict: { valid: false, reason: 'the old root must be 64 lower-case hex digits' },
    }]);
  });

  it('generates every published valid inclusion proof over the 8 leaves byte for byte', async () => {
    const overPublishedLeaves = publishedInclusions.filter((vector) => !vector.wantErr
      && hexOfBase64(vector.root) === vectors.rootHashesHex[vector.treeSize]
      && hexOfBase64(vector.leafHash) === publishedLeafHashes[vector.leafIdx]!.toString('hex'));
    expect(overPublishedLeaves.length).toBeGreaterThanOrEqual(5);
    for (const vector of overPublishedLeaves) {
      const claim = inclusionClaimOf(vector);
      expect([vector.file, await inclusionProofOf(vector.leafIdx, vector.treeSize, sourceOfPublished)]).toEqual([vector.file, claim.proof]);
    }
  });

  it('generates every published valid consistency proof over the 8 leaves byte for byte', async () => {
    const overPublishedLeaves = publishedConsistencies.filter((vector) => !vector.wantErr
      && hexOfBase64(vector.root1) === vectors.rootHashesHex[vector.size1]
      && hexOfBase64(vector.root2) === vectors.rootHashesHex[vector.size2]);
    expect(overPublishedLeaves.length).toBeGreaterThanOrEqual(5);
    for (const vector of overPublishedLeaves) {
      const claim = consistencyClaimOf(vector);
      expect([vector.file, await consistencyProofOf(vector.size1, vector.size2, sourceOfPublished)]).toEqual([vector.file, claim.proof]);
    }
  });

  it('refuses every tampering of each published valid inclusion proof', () => {
    for (const vector of publishedInclusions.filter((candidate) => !candidate.wantErr)) {
      const claim = inclusionClaimOf(vector);
      expect([vector.file, verifyInclusion(claim)]).toEqual([vector.file, { valid: true }]);
      expect([vector.file, refusedNames(inclusionTamperings(claim), verifyInclusion)]).toEqual([vector.file, []]);
    }
  });

  it('refuses every tampering of each published non-trivial consistency proof', () => {
    const nonTrivial = publishedConsistencies.filter((candidate) => !candidate.wantErr && (candidate.proof ?? []).length > 0);
    expect(nonTrivial.length).toBeGreaterThanOrEqual(4);
    for (const vector of nonTrivial) {
      const claim = consistencyClaimOf(vector);
      expect([vector.file, verifyConsistency(claim)]).toEqual([vector.file, { valid: true }]);
      expect([vector.file, refusedNames(consistencyTamperings(claim), verifyConsistency)]).toEqual([vector.file, []]);
    }
  });

  it('generates and verifies every inclusion and consistency proof of the 8-leaf tree, as the reference does', async () => {
    for (let size = 1; size <= 8; size += 1) {
      const root = vectors.rootHashesHex[size]!;
      for (let index = 0; index < size; index += 1) {
        const proof = await inclusionProofOf(index, size, sourceOfPublished);
        expect(proof).toEqual(hexOf(referencePath(index, publishedLeafHashes.slice(0, size))));
        expect(verifyInclusion({ leafIndex: index, treeSize: size, leafHash: publishedLeafHashes[index]!.toString('hex'), proof, root })).toEqual({ valid: true });
      }
      for (let oldSize = 1; oldSize <= size; oldSize += 1) {
        const proof = await consistencyProofOf(oldSize, size, sourceOfPublished);
        expect(proof).toEqual(hexOf(referenceSubproof(oldSize, publishedLeafHashes.slice(0, size), true)));
        const claim = { oldSize, newSize: size, oldRoot: vectors.rootHashesHex[oldSize]!, newRoot: root, proof };
        expect([oldSize, size, verifyConsistency(claim)]).toEqual([oldSize, size, { valid: true }]);
      }
    }
  });
});

describe('RFC 9162 Merkle log: edges and hostile input', () => {
  const leafHash = leafHashOf(Buffer.from('entry')).toString('hex');

  it('a one-leaf tree: the root is the leaf hash and the proof is empty', () => {
    expect(rootOf(1, () => Buffer.from(leafHash, 'hex')).toString('hex')).toBe(leafHash);
    expect(verifyInclusion({ leafIndex: 0, treeSize: 1, leafHash, proof: [], root: leafHash })).toEqual({ valid: true });
    expect(verifyInclusion({ leafIndex: 0, treeSize: 1, leafHash, proof: [leafHash], root: leafHash }).valid).toBe(false);
  });

  it('refuses an old size of 0, an old size above the new one, and equal sizes with different roots or a proof', () => {
    const root = vectors.rootHashesHex[8]!;
    const emptyRoot = emptyRootHash().toString('hex');
    expect(verifyConsistency({ oldSize: 0, newSize: 8, oldRoot: emptyRoot, newRoot: root, proof: [] })).toEqual({ valid: false, reason: 'the old size is 0: the empty tree proves nothing' });
    expect(verifyConsistency({ oldSize: 0, newSize: 0, oldRoot: emptyRoot, newRoot: emptyRoot, proof: [] }).valid).toBe(false);
    expect(verifyConsistency({ oldSize: 8, newSize: 7, oldRoot: root, newRoot: vectors.rootHashesHex[7]!, proof: [] })).toEqual({ valid: false, reason: 'the old size 8 is greater than the new size 7' });
    expect(verifyConsistency({ oldSize: 8, newSize: 8, oldRoot: root, newRoot: root, proof: [] })).toEqual({ valid: true });
    expect(verifyConsistency({ oldSize: 8, newSize: 8, oldRoot: root, newRoot: vectors.rootHashesHex[7]!, proof: [] }).valid).toBe(false);
    expect(verifyConsistency({ oldSize: 8, newSize: 8, oldRoot: root, newRoot: root, proof: [root] }).valid).toBe(false);
  });

  it('refuses malformed claims with a reason and never throws', () => {
    const good: InclusionClaim = { leafIndex: 0, treeSize: 1, leafHash, proof: [], root: leafHash };
    const hostile: unknown[] = [
      null, undefined, 42, 'claim', [],
      { ...good, leafIndex: -1 }, { ...good, leafIndex: 0.5 }, { ...good, leafIndex: Number.NaN }, { ...good, leafIndex: '0' },
      { ...good, treeSize: Number.POSITIVE_INFINITY }, { ...good, treeSize: TREE_SIZE_MAXIMUM + 1 }, { ...good, treeSize: 2 ** 64 },
      { ...good, leafHash: leafHash.toUpperCase() }, { ...good, leafHash: leafHash.slice(2) }, { ...good, leafHash: `${leafHash}00` },
      { ...good, leafHash: `zz${leafHash.slice(2)}` }, { ...good, leafHash: Buffer.from(leafHash, 'hex') }, { ...good, root: null },
      { ...good, proof: null }, { ...good, proof: 'ab' }, { ...good, proof: [42] }, { ...good, proof: [''] },
      { ...good, proof: new Array(PROOF_LENGTH_MAXIMUM + 1).fill(leafHash) }, { ...good, treeSize: 0 },
    ];
    for (const claim of hostile) {
      const verdict = verifyInclusion(claim as InclusionClaim);
      expect(verdict.valid).toBe(false);
      expect(verdict.valid === false && verdict.reason.length > 0).toBe(true);
      expect((verifyConsistency(claim as ConsistencyClaim)).valid).toBe(false);
    }
    fc.assert(fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), (first, second, third, fourth, fifth) => {
      expect(verifyInclusion({ leafIndex: first, treeSize: second, leafHash: third, proof: fourth, root: fifth } as unknown as InclusionClaim).valid).toBe(false);
      expect(verifyConsistency({ oldSize: first, newSize: second, oldRoot: third, newRoot: fifth, proof: fourth } as unknown as ConsistencyClaim).valid).toBe(false);
    }), { numRuns: 300 });
  });

  it('generators refuse positions outside the tree and hashes of the wrong length', async () => {
    expect(() => inclusionProofRangesOf(8, 8)).toThrow('leaf 8 is not in a tree of 8 leaves');
    expect(() => inclusionProofRangesOf(0, 0)).toThrow('not in a tree of 0 leaves');
    expect(() => consistencyProofRangesOf(0, 8)).toThrow('no consistency proof from 0 to 8 leaves');
    expect(() => consistencyProofRangesOf(9, 8)).toThrow('no consistency proof from 9 to 8 leaves');
    expect(() => rootOf(TREE_SIZE_MAXIMUM + 1, () => Buffer.alloc(32))).toThrow('size must be an integer');
    expect(() => new MerkleLogBuilder().append(Buffer.alloc(31))).toThrow('leafHash must be 32 bytes');
    await expect(inclusionProofOf(0, 2, { rangeHash: () => Buffer.alloc(31) })).rejects.toThrow('hash of [1, 2) must be 32 bytes');
  });

  it('every range a proof asks for is a perfect aligned subtree or the aligned right edge of the tree', () => {
    const isNodeOf = (size: number) => ({ start, end }: { start: number; end: number }): boolean => {
      const width = end - start;
      const perfect = (width & (width - 1)) === 0 && start % width === 0;
      const rightEdge = end === size && start % (2 * largestPowerOfTwoBelow(width)) === 0; // aligned to the next power of two
      return width > 0 && (perfect || rightEdge);
    };
    const strays: string[] = [];
    for (let size = 1; size <= 130; size += 1) {
      for (let index = 0; index < size; index += 1) {
        if (!inclusionProofRangesOf(index, size).every(isNodeOf(size))) strays.push(`inclusion ${index} of ${size}`);
      }
      for (let oldSize = 1; oldSize <= size; oldSize += 1) {
        if (!consistencyProofRangesOf(oldSize, size).every(isNodeOf(size))) strays.push(`consistency ${oldSize} to ${size}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('a source over an ordered leaf reader gives the same proofs and refuses a short or long read', async () => {
    const leafHashes = Array.from({ length: 37 }, (_, index) => leafHashOf(Buffer.from(`entry ${index}`)));
    async function* readLeafHashes(start: number, end: number): AsyncIterable<Uint8Array> {
      for (let index = start; index < end; index += 1) yield leafHashes[index]!;
    }
    const overReader = subtreeHashSourceOfLeafReader(readLeafHashes);
    const overArray = subtreeHashSourceOfLeafHashes(leafHashes);
    expect(await inclusionProofOf(21, 37, overReader)).toEqual(await inclusionProofOf(21, 37, overArray));
    expect(await consistencyProofOf(13, 37, overReader)).toEqual(await consistencyProofOf(13, 37, overArray));
    async function* shortRead(start: number, end: number): AsyncIterable<Uint8Array> {
      yield* readLeafHashes(start, end - 1);
    }
    async function* longRead(start: number, end: number): AsyncIterable<Uint8Array> {
      yield* readLeafHashes(start, Math.min(end + 1, leafHashes.length));
    }
    await expect(inclusionProofOf(0, 37, subtreeHashSourceOfLeafReader(shortRead))).rejects.toThrow('the reader returned 0 leaf hashes for [1, 2)');
    await expect(inclusionProofOf(0, 37, subtreeHashSourceOfLeafReader(longRead))).rejects.toThrow('more than 1 leaf hashes for [1, 2)');
  });
});

describe('RFC 9162 Merkle log properties', () => {
  const SIZE_MAXIMUM = 2_000;
  const leafHashes = Array.from({ length: SIZE_MAXIMUM }, (_, index) => leafHashOf(Buffer.from(`ledger event ${index}`)));
  const source = subtreeHashSourceOfLeafHashes(leafHashes);
  const prefixRoot = new Map<number, string>();
  function rootHexOf(size: number): string {
    if (!prefixRoot.has(size)) prefixRoot.set(size, referenceRoot(leafHashes.slice(0, size)).toString('hex'));
    return prefixRoot.get(size)!;
  }
  const sizeAndIndex = fc.integer({ min: 1, max: SIZE_MAXIMUM }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
  const sizes = fc.tuple(fc.integer({ min: 1, max: SIZE_MAXIMUM }), fc.integer({ min: 1, max: SIZE_MAXIMUM }))
    .map(([first, second]) => [Math.min(first, second), Math.max(first, second)] as const);

  it('the streaming root equals the recursive definition', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: SIZE_MAXIMUM }), (size) => {
      expect(rootOf(size, (index) => leafHashes[index]!).toString('hex')).toBe(size === 0 ? emptyRootHash().toString('hex') : rootHexOf(size));
    }), { numRuns: 60 });
  });

  it('a generated inclusion proof verifies, and no single flipped bit in leaf, proof or root does', async () => {
    await fc.assert(fc.asyncProperty(sizeAndIndex, fc.nat(), fc.nat({ max: 255 }), async ([size, index], target, bitIndex) => {
      const proof = await inclusionProofOf(index, size, source);
      expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
      const claim = { leafIndex: index, treeSize: size, leafHash: leafHashes[index]!.toString('hex'), proof, root: rootHexOf(size) };
      expect(verifyInclusion(claim)).toEqual({ valid: true });
      const place = target % (proof.length + 2);
      const tampered = place === proof.length ? { ...claim, leafHash: withBitFlipped(claim.leafHash, bitIndex) }
        : place === proof.length + 1 ? { ...claim, root: withBitFlipped(claim.root, bitIndex) }
          : { ...claim, proof: proof.map((hash, at) => (at === place ? withBitFlipped(hash, bitIndex) : hash)) };
      expect(verifyInclusion(tampered).valid).toBe(false);
    }), { numRuns: 100 });
  });

  it('a generated consistency proof verifies, and no single flipped bit in the roots or the proof does', async () => {
    await fc.assert(fc.asyncProperty(sizes, fc.nat(), fc.nat({ max: 255 }), async ([oldSize, newSize], target, bitIndex) => {
      const proof = await consistencyProofOf(oldSize, newSize, source);
      expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(newSize)) + 1);
      const claim = { oldSize, newSize, oldRoot: rootHexOf(oldSize), newRoot: rootHexOf(newSize), proof };
      expect(verifyConsistency(claim)).toEqual({ valid: true });
      const place = target % (proof.length + 2);
      const tampered = place === proof.length ? { ...claim, oldRoot: withBitFlipped(claim.oldRoot, bitIndex) }
        : place === proof.length + 1 ? { ...claim, newRoot: withBitFlipped(claim.newRoot, bitIndex) }
          : { ...claim, proof: proof.map((hash, at) => (at === place ? withBitFlipped(hash, bitIndex) : hash)) };
      expect(verifyConsistency(tampered).valid).toBe(false);
    }), { numRuns: 100 });
  });

  it('generated proofs equal the recursive PATH and PROOF of the RFC', async () => {
    await fc.assert(fc.asyncProperty(sizeAndIndex, fc.nat(), async ([size, index], oldSeed) => {
      expect(await inclusionProofOf(index, size, source)).toEqual(hexOf(referencePath(index, leafHashes.slice(0, size))));
      const oldSize = 1 + (oldSeed % size);
      expect(await consistencyProofOf(oldSize, size, source)).toEqual(hexOf(referenceSubproof(oldSize, leafHashes.slice(0, size), true)));
    }), { numRuns: 60 });
  });

  it('a proof for one position does not verify for another position, nor for another size with that size\'s root', async () => {
    await fc.assert(fc.asyncProperty(sizeAndIndex, fc.integer({ min: 1, max: SIZE_MAXIMUM }), async ([size, index], otherSize) => {
      const proof = await inclusionProofOf(index, size, source);
      const claim = { leafIndex: index, treeSize: size, leafHash: leafHashes[index]!.toString('hex'), proof, root: rootHexOf(size) };
      const otherIndex = (index + 1) % size;
      if (otherIndex !== index) expect(verifyInclusion({ ...claim, leafIndex: otherIndex }).valid).toBe(false);
      if (otherSize !== size) expect(verifyInclusion({ ...claim, treeSize: otherSize, root: rootHexOf(otherSize) }).valid).toBe(false);
    }), { numRuns: 100 });
  });

  it('binds the root, not the size: a path of leaf 0 in 5 leaves also checks as in 6 leaves against the same root', async () => {
    // Why a tree size means something only with the root it was signed with (a signed tree head).
    const proof = await inclusionProofOf(0, 5, source);
    const claim = { leafIndex: 0, treeSize: 5, leafHash: leafHashes[0]!.toString('hex'), proof, root: rootHexOf(5) };
    expect(verifyInclusion({ ...claim, treeSize: 6 })).toEqual({ valid: true });
    expect(verifyInclusion({ ...claim, treeSize: 6, root: rootHexOf(6) }).valid).toBe(false);
  });

  it('node hashing is the RFC byte layout', () => {
    const [left, right] = [leafHashes[0]!, leafHashes[1]!];
    expect(nodeHashOf(left, right).equals(sha256(Buffer.of(1), left, right))).toBe(true);
    expect(leafHashOf(Buffer.from('abc')).equals(sha256(Buffer.of(0), Buffer.from('abc')))).toBe(true);
  });
});
