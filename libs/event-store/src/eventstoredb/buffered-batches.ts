/**
 * Groups the items of an async iterable into batches of the items that are ALREADY
 * available, without waiting for more.
 *
 * Why: a catch-up subscription delivers one event at a time. Handing the projector one event
 * per call would cost one PostgreSQL transaction per event while catching up on millions of
 * events; waiting for a full batch would delay a live event until the next one arrives. So a
 * batch takes the first item (waiting for it if necessary), then every further item that
 * is ready by the next turn of the event loop, up to `maximumBatchSize`.
 *
 * Order is preserved and the source is read by one consumer only: the caller's
 * `for await` body runs to completion before the next batch is assembled, so a handler is
 * never called concurrently.
 */
const NOT_READY = Symbol('not ready');

function nextTurnOfEventLoop(): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setImmediate(() => resolve(NOT_READY)));
}

export async function* bufferedBatches<Item>(source: AsyncIterable<Item>, maximumBatchSize: number): AsyncGenerator<Item[]> {
  if (!Number.isSafeInteger(maximumBatchSize) || maximumBatchSize < 1) {
    throw new RangeError(`maximumBatchSize must be a positive integer, got ${String(maximumBatchSize)}`);
  }
  const iterator = source[Symbol.asyncIterator]();
  // At most one `next()` is outstanding at any time; a pending one that was not ready in time
  // is kept and awaited first in the following batch, so no item is lost or reordered.
  let pendingNext: Promise<IteratorResult<Item>> | null = null;
  let finished = false;
  try {
    while (!finished) {
      const first: IteratorResult<Item> = await (pendingNext ?? iterator.next());
      pendingNext = null;
      if (first.done === true) {
        finished = true;
        return;
      }
      const batch: Item[] = [first.value];
      while (batch.length < maximumBatchSize) {
        const candidate = iterator.next();
        const ready = await Promise.race([candidate, nextTurnOfEventLoop()]);
        if (ready === NOT_READY) {
          pendingNext = candidate;
          break;
        }
        if (ready.done === true) {
          finished = true;
          break;
        }
        batch.push(ready.value);
      }
      yield batch;
    }
  } finally {
    // Stopping early (break in the caller, or an error) releases the source, e.g. ends a
    // subscription's readable stream.
    if (!finished) await iterator.return?.();
  }
}
