/** A prepare call failed: carries the source item and its 0-based position; the original error is `cause`. */
export class PrefetchError<T = unknown> extends Error {
  override readonly name = 'PrefetchError';
  constructor(
    readonly item: T,
    readonly index: number,
    cause: unknown,
  ) {
    super(`prefetch: preparing item ${index} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface PrefetchOptions {
  /** Items prepared ahead of the consumer (k). Memory holds at most k prepared or pending results plus the one being consumed. */
  depth: number;
  /** Aborting stops pulling the source, aborts pending `prepare` calls' signal, and rejects the consumer's next wait. */
  signal?: AbortSignal;
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('prefetch aborted', 'AbortError');
}

/** Waits for `promise`, or rejects as soon as `signal` aborts. */
function untilAborted<V>(promise: Promise<V>, signal: AbortSignal): Promise<V> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<V>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Maps `source` through `prepare` (decode + collate, sync or async), keeping up to `depth` results in flight
 * ahead of the consumer so preparing overlaps training. Results come out in source order. The first failure
 * is thrown, in order (earlier items are delivered first), as a `PrefetchError` naming the item; nothing
 * after it is yielded. Breaking out of the loop, an error, or `signal` aborting stops the pipeline: no more
 * source items are pulled, the `signal` given to pending `prepare` calls aborts, and their late results and
 * rejections are dropped (never unhandled).
 */
export async function* prefetch<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  prepare: (item: T, index: number, signal: AbortSignal) => R | Promise<R>,
  options: PrefetchOptions,
): AsyncGenerator<R, void, undefined> {
  const { depth } = options;
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`prefetch: depth must be an integer >= 1, got ${depth}`);
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const { signal } = controller;

  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
  const queue: Array<{ item: T; index: number; result: Promise<Settled<R>> }> = [];
  let index = 0;
  let exhausted = false;

  const fill = async (): Promise<void> => {
    while (!exhausted && queue.length < depth) {
      const step = await untilAborted(Promise.resolve(iterator.next()), signal);
      if (step.done === true) {
        exhausted = true;
        break;
      }
      const item = step.value;
      const i = index++;
      // Settled, not rejected: a failure is reported when its turn comes, and never as an unhandled rejection.
      const result = Promise.resolve()
        .then(() => prepare(item, i, signal))
        .then(
          (value): Settled<R> => ({ ok: true, value }),
          (error: unknown): Settled<R> => ({ ok: false, error }),
        );
      queue.push({ item, index: i, result });
    }
  };

  try {
    await fill();
    for (;;) {
      const head = queue.shift();
      if (head === undefined) return;
      const settled = await untilAborted(head.result, signal);
      if (!settled.ok) throw new PrefetchError(head.item, head.index, settled.error);
      await fill(); // refill before handing over, so the next `depth` items prepare while the consumer works
      yield settled.value;
    }
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    controller.abort(new DOMException('prefetch stopped', 'AbortError'));
    if (!exhausted) await iterator.return?.();
  }
}
