import { BatchReleasedError } from '../errors.js'

/**
 * Who may reuse a batch's storage. A batch goes from stage to stage; the stage that receives it
 * owns it, and when it is done with it (it yielded what it made from it, or dropped it) it calls
 * {@link release}. For a batch that a sensorpipe stage made from pooled storage (the line
 * offsets of `lines`, the columns of `parseCsv`), the last release hands that storage back to the
 * stage that made it, which fills it again for a later batch instead of allocating; reading the
 * batch after that throws a {@link BatchReleasedError}. A stage that passes a batch on unchanged
 * passes ownership with it and does not release it.
 *
 * Pooling is opt-in (`reuse` on `fromFile`, `lines` and `parseCsv`): without it no batch has
 * pooled storage and `release()` changes nothing. With it, code between those stages and the
 * stage that releases a batch must not keep the batch after handing it on, unless it calls
 * {@link retain} first (and {@link release} when done) or {@link disown}. A batch nobody releases
 * is garbage collected as usual: releasing is how storage gets reused, never a requirement, and
 * a batch made by user code (no pooled storage) is not affected by any of these calls.
 */
export abstract class Owned {
  #refs = 1
  #recycle: (() => void) | undefined

  /** @param recycle hands the storage back to its pool; called once, at the last release. */
  protected constructor (recycle?: () => void) {
    this.#recycle = recycle
  }

  /** Keeps the batch valid past the next release: one more {@link release} is needed. */
  retain (): this {
    this.assertLive()
    this.#refs++
    return this
  }

  /** The owner is done with the batch; at the last release its pooled storage is reused. */
  release (): void {
    if (this.#refs === 0) return
    if (--this.#refs > 0) return
    const recycle = this.#recycle
    if (recycle === undefined) { this.#refs = 1; return } // nothing pooled: stays readable
    this.#recycle = undefined
    recycle()
  }

  /**
   * Takes the batch out of reuse: its storage is never handed back, so the batch stays readable
   * for as long as anything references it (then it is garbage collected as usual). For code that
   * keeps batches it does not own, such as a weak cache of recent batches.
   */
  disown (): this {
    this.#recycle = undefined
    return this
  }

  /** True when the batch's storage is pooled and its owner is the only holder: it may be changed in place. */
  get exclusive (): boolean { return this.#refs === 1 && this.#recycle !== undefined }

  /**
   * Moves this batch's pooled storage to `next` (a batch made over the same storage, e.g. after
   * compacting it in place) and marks this one released. Only for an {@link exclusive} batch.
   */
  protected handOver<T extends Owned> (next: T): T {
    next.#recycle = this.#recycle
    this.#recycle = undefined
    this.#refs = 0
    return next
  }

  /** True after the last release of pooled storage. */
  get released (): boolean { return this.#refs === 0 }

  /** Throws a {@link BatchReleasedError} when the batch was released. */
  protected assertLive (): void {
    if (this.#refs === 0) throw new BatchReleasedError()
  }
}

/**
 * A bounded free list of storage for a stage's batches: `take` returns a stored item that
 * `fits`, or undefined (the stage allocates); `give` keeps at most `max` items and drops the rest
 * to the garbage collector. With `sizeOf`, a full pool keeps the largest items: an item given back
 * replaces the smallest stored one when larger (otherwise a pool full of items a little too small
 * for batches that grew would make every later batch allocate).
 */
export class Pool<T> {
  readonly #free: T[] = []
  constructor (readonly max = 4, readonly sizeOf?: (item: T) => number) {}

  take (fits: (item: T) => boolean): T | undefined {
    const free = this.#free
    for (let k = free.length - 1; k >= 0; k--) {
      const item = free[k]!
      if (fits(item)) {
        free[k] = free[free.length - 1]!
        free.pop()
        return item
      }
    }
    return undefined
  }

  give (item: T): void {
    const free = this.#free
    if (free.length < this.max) { free.push(item); return }
    const size = this.sizeOf
    if (size === undefined) return
    let k = 0
    for (let j = 1; j < free.length; j++) if (size(free[j]!) < size(free[k]!)) k = j
    if (size(free[k]!) < size(item)) free[k] = item
  }

  /** Items stored. */
  get size (): number { return this.#free.length }
}

// Chunks lent by a source that reuses its buffers (`fromFile` with `reuse`), by their memory.
const lent = new WeakMap<ArrayBufferLike, () => void>()

/**
 * Lends `chunk` (which must own its memory, as `Buffer.allocUnsafeSlow` makes it): once
 * {@link returnChunk} is called with it or any view of it, `give` runs, once.
 */
export function lendChunk (chunk: Uint8Array, give: () => void): void {
  lent.set(chunk.buffer, give)
}

/** The consumer of a lent chunk is done with all of its memory: the lender may fill it again. No-op for any other bytes. */
export function returnChunk (bytes: Uint8Array): void {
  const give = lent.get(bytes.buffer)
  if (give === undefined) return
  lent.delete(bytes.buffer)
  give()
}
