import { HASH_BYTES, nodeHashOf, type SubtreeHashSource } from './merkle-log';

/** 10 million leaves: 320 MB of leaf hashes and as much again above them; the statement limit. */
export const CACHED_LEAVES_MAXIMUM = 10_000_000;

/**
 * Every perfect subtree's hash of a log held in memory, level by level (level k: the aligned
 * blocks of 2^k leaves, one contiguous buffer each), so that each range a proof asks for costs
 * O(log n) instead of folding its leaves again. For drawing many proofs against one tree
 * (a statement's lines); one proof is better served by streaming the leaf table.
 */
export class PerfectSubtreeCache implements SubtreeHashSource {
  private readonly levels: Buffer[];

  /** `leafHashes`: the concatenated 32-byte leaf hashes, in order. */
  constructor(leafHashes: Buffer) {
    if (leafHashes.length % HASH_BYTES !== 0) throw new Error('the leaf hashes must be a multiple of 32 bytes');
    if (leafHashes.length / HASH_BYTES > CACHED_LEAVES_MAXIMUM) throw new Error(`at most ${CACHED_LEAVES_MAXIMUM} leaves are held in memory`);
    this.levels = [leafHashes];
    for (;;) {
      const below = this.levels[this.levels.length - 1]!;
      const count = Math.floor(below.length / HASH_BYTES / 2);
      if (count === 0) break;
      const above = Buffer.alloc(count * HASH_BYTES);
      for (let index = 0; index < count; index += 1) {
        const left = below.subarray(2 * index * HASH_BYTES, (2 * index + 1) * HASH_BYTES);
        const right = below.subarray((2 * index + 1) * HASH_BYTES, (2 * index + 2) * HASH_BYTES);
        nodeHashOf(left, right).copy(above, index * HASH_BYTES);
      }
      this.levels.push(above);
    }
  }

  get leafCount(): number {
    return this.levels[0]!.length / HASH_BYTES;
  }

  private perfect(start: number, height: number): Buffer {
    const index = start / 2 ** height;
    return this.levels[height]!.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  /**
   * MTH(D[start:end]) for a node of the tree (see SubtreeHashSource): the perfect blocks of
   * the range from the left, largest first, folded from the right as RFC 9162 §2.1.1 splits.
   */
  rangeHash(start: number, end: number): Buffer {
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end && end <= this.leafCount)) {
      throw new Error(`range [${start}, ${end}) is not within ${this.leafCount} leaves`);
    }
    const blocks: Buffer[] = [];
    let offset = start;
    for (let height = this.levels.length - 1; height >= 0; height -= 1) {
      const size = 2 ** height;
      if (end - offset >= size) {
        if (offset % size !== 0) throw new Error(`range [${start}, ${end}) is not a node of the tree`);
        blocks.push(this.perfect(offset, height));
        offset += size;
      }
    }
    let hash = blocks[blocks.length - 1]!;
    for (let index = blocks.length - 2; index >= 0; index -= 1) hash = nodeHashOf(blocks[index]!, hash);
    return Buffer.from(hash);
  }
}
