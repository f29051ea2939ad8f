// The bounded queue between a source's reader (which keeps reading on its own schedule) and the
// consumer (which pulls when it is ready). Internal: fromSerial uses it; its bound and policy are
// fromSerial's `maxBufferBytes` and `overflow` options.

/**
 * What a full queue does with more data. `block` makes the reader wait (stop reading) until the
 * consumer has taken some; `drop-oldest` discards the oldest queued chunks to make room;
 * `drop-newest` discards the chunk that does not fit. Drops are counted.
 */
export type OverflowPolicy = 'block' | 'drop-oldest' | 'drop-newest'

export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['block', 'drop-oldest', 'drop-newest']

/** Most events held at once; past it the oldest waiting event is dropped (and counted). */
export const MAX_PENDING_EVENTS = 64

/** Coalesced chunks handed to the consumer are at most this big (unless one chunk is bigger). */
const TAKE_BYTES = 1 << 16
const LF = 10

type Item<E> = { chunk: Buffer, event?: undefined } | { chunk?: undefined, event: E }

/**
 * A FIFO of Buffer chunks and events. Chunks are assumed to hold whole lines (each ends in LF),
 * so a dropped chunk drops whole lines and never glues two halves together. Holds at most
 * `maxBytes` of chunks plus the chunk being added (under `block`, the reader waits in
 * {@link whenSpace} before reading more), and at most {@link MAX_PENDING_EVENTS} events.
 */
export class ChunkQueue<E> {
  readonly #maxBytes: number
  readonly #overflow: OverflowPolicy
  readonly #onDrop: (lines: number, bytes: number, events: number) => void
  #items: Array<Item<E>> = []
  #head = 0
  // drop-oldest: items before this index hold no chunk bytes (taken, dropped or events).
  #scan = 0
  #bytes = 0
  #events = 0
  #ended = false
  #failure: { error: unknown } | undefined
  #wakeTaker: (() => void) | undefined
  #wakeReader: (() => void) | undefined

  /** `onDrop` counts what the policy drops: whole lines and their bytes, or an event. */
  constructor (maxBytes: number, overflow: OverflowPolicy, onDrop: (lines: number, bytes: number, events: number) => void) {
    this.#maxBytes = maxBytes
    this.#overflow = overflow
    this.#onDrop = onDrop
  }

  /** Bytes of chunks waiting. */
  get bytes (): number { return this.#bytes }

  /** Adds a chunk, applying the overflow policy when the queue is full. */
  push (chunk: Buffer): void {
    if (this.#ended) return
    if (this.#bytes + chunk.length > this.#maxBytes && this.#bytes > 0) {
      if (this.#overflow === 'drop-newest') {
        this.#drop(chunk)
        return
      }
      if (this.#overflow === 'drop-oldest') {
        let i = Math.max(this.#head, this.#scan)
        for (; i < this.#items.length && this.#bytes + chunk.length > this.#maxBytes; i++) {
          const old = this.#items[i]!
          if (old.chunk === undefined || old.chunk.length === 0) continue
          this.#drop(old.chunk)
          this.#bytes -= old.chunk.length
          old.chunk = EMPTY
        }
        this.#scan = i
      }
      // block: accepted; the reader waits in whenSpace() before it reads again.
    }
    this.#bytes += chunk.length
    this.#add({ chunk })
  }

  /** Adds an event; it is delivered in order with the chunks around it. */
  pushEvent (event: E): void {
    if (this.#ended) return
    if (this.#events >= MAX_PENDING_EVENTS) {
      const i = this.#items.findIndex((it, k) => k >= this.#head && it.event !== undefined)
      this.#items.splice(i, 1)
      if (this.#scan > i) this.#scan--
      this.#events--
      this.#onDrop(0, 0, 1)
    }
    this.#events++
    this.#add({ event })
  }

  /** No more items: the consumer gets what is queued, then the end. */
  end (): void {
    this.#ended = true
    this.#wake()
  }

  /** The consumer gets what is queued, then this error. */
  fail (error: unknown): void {
    if (this.#ended) return
    this.#failure = { error }
    this.end()
  }

  /** Forgets everything queued and ends (the consumer went away). */
  discard (): void {
    this.#items = []
    this.#head = 0
    this.#scan = 0
    this.#bytes = 0
    this.#events = 0
    this.#failure = undefined
    this.end()
  }

  /** Resolves when the queue holds less than its bound (at once if it does), or has ended. */
  async whenSpace (): Promise<void> {
    while (this.#bytes >= this.#maxBytes && !this.#ended) {
      await new Promise<void>(resolve => { this.#wakeReader = resolve })
    }
  }

  /**
   * The next item, waiting for one if none is queued; undefined at the end. Chunks waiting
   * together are handed over as one (up to 64 KiB), so a consumer that fell behind catches up in
   * few steps. Rejects with the error given to {@link fail} once everything before it was taken.
   */
  async take (): Promise<Item<E> | undefined> {
    for (;;) {
      const items = this.#items
      while (this.#head < items.length && items[this.#head]!.chunk?.length === 0) this.#head++
      if (this.#head < items.length) {
        const first = items[this.#head++]!
        if (first.event !== undefined) {
          this.#events--
          this.#compact()
          return first
        }
        let chunk = first.chunk!
        let end = this.#head
        let size = chunk.length
        while (end < items.length && items[end]!.chunk !== undefined && size + items[end]!.chunk!.length <= TAKE_BYTES) size += items[end++]!.chunk!.length
        if (end > this.#head) {
          chunk = Buffer.concat(items.slice(this.#head - 1, end).map(it => it.chunk!), size)
          this.#head = end
        }
        this.#bytes -= size
        this.#compact()
        this.#wakeReader?.()
        this.#wakeReader = undefined
        return { chunk }
      }
      if (this.#ended) {
        if (this.#failure !== undefined) {
          const { error } = this.#failure
          this.#failure = undefined
          throw error
        }
        return undefined
      }
      await new Promise<void>(resolve => { this.#wakeTaker = resolve })
    }
  }

  #add (item: Item<E>): void {
    this.#items.push(item)
    const wake = this.#wakeTaker
    this.#wakeTaker = undefined
    wake?.()
  }

  #drop (chunk: Buffer): void {
    let n = 0
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) n++
    this.#onDrop(n, chunk.length, 0)
  }

  #wake (): void {
    const t = this.#wakeTaker
    const r = this.#wakeReader
    this.#wakeTaker = undefined
    this.#wakeReader = undefined
    t?.()
    r?.()
  }

  // Taken items are left behind the head; drop them once they are half the array.
  #compact (): void {
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#scan = 0
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#scan = Math.max(0, this.#scan - this.#head)
      this.#head = 0
    }
  }
}

const EMPTY = Buffer.alloc(0)
