import { Readable } from 'node:stream';
import { bufferedBatches } from './buffered-batches';

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

describe('bufferedBatches', () => {
  it('batches items that are already available, in order, up to the maximum', async () => {
    // An object-mode Readable: the same kind of source as a client subscription.
    const source = Readable.from([1, 2, 3, 4, 5, 6, 7]);
    const batches: number[][] = [];
    for await (const batch of bufferedBatches(source, 3)) batches.push(batch);
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(batches.every((batch) => batch.length >= 1 && batch.length <= 3)).toBe(true);
    expect(batches.length).toBeLessThan(7);
  });

  it('does not wait for a full batch when the next item is not ready', async () => {
    // The second item is produced only after the first batch has reached the consumer, so a
    // batcher that waited for a fuller batch would never yield: no wall-clock bound needed.
    let releaseSecond: () => void = () => undefined;
    const secondMayCome = new Promise<void>((resolve) => { releaseSecond = resolve; });
    async function* gatedSource() {
      yield 'first';
      await secondMayCome;
      yield 'second';
    }
    const iterator = bufferedBatches(gatedSource(), 100);
    const first = await iterator.next();
    expect(first.value).toEqual(['first']);
    releaseSecond();
    const second = await iterator.next();
    expect(second.value).toEqual(['second']);
    expect((await iterator.next()).done).toBe(true);
  });

  it('never runs the consumer concurrently and loses nothing while it is busy', async () => {
    async function* source() {
      for (let index = 0; index < 20; index += 1) {
        if (index % 5 === 0) await delay(5);
        yield index;
      }
    }
    let running = 0;
    let maximumRunning = 0;
    const seen: number[] = [];
    for await (const batch of bufferedBatches(source(), 4)) {
      running += 1;
      maximumRunning = Math.max(maximumRunning, running);
      await delay(3);
      seen.push(...batch);
      running -= 1;
    }
    expect(maximumRunning).toBe(1);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });

  it('propagates a source error after the items before it', async () => {
    async function* failing() {
      yield 1;
      await delay(5);
      throw new Error('connection lost');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const batch of bufferedBatches(failing(), 10)) seen.push(...batch);
      })(),
    ).rejects.toThrow('connection lost');
    expect(seen).toEqual([1]);
  });

  it('releases the source when the consumer stops early', async () => {
    let released = false;
    async function* endless() {
      try {
        for (let index = 0; ; index += 1) {
          await delay(1);
          yield index;
        }
      } finally {
        released = true;
      }
    }
    for await (const batch of bufferedBatches(endless(), 2)) {
      if (batch.includes(3) || batch[0]! > 3) break;
    }
    expect(released).toBe(true);
  });

  it('refuses a batch size below one', async () => {
    await expect(bufferedBatches(Readable.from([1]), 0).next()).rejects.toThrow(RangeError);
  });
});
