/**
 * Where a window stage reads the wall clock and sets its timers: arrival time, idle timeouts and
 * tests all go through one of these, so a test can drive time by hand ({@link ManualClock}) or
 * with vitest's fake timers ({@link systemClock} looks the globals up at each call).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now: () => number
  /** Calls `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/**
 * The process's clock: `Date.now()` and the global timers, looked up at each call so that
 * `vi.useFakeTimers()` applies to it.
 *
 * @example
 * ```ts
 * const w = tumbling({ size: '10s', time: 'arrival', clock: systemClock })
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: handle => { globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>) }
}

/**
 * A clock that moves only when told to: `advance(ms)` runs the timers that fall due, in order,
 * each with `now()` set to its due time. Holds one entry per pending timer.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(0)
 * const w = tumbling({ size: '1s', time: 'arrival', clock })
 * clock.advance(1000) // the window of [0, 1000) closes
 * ```
 */
export class ManualClock implements Clock {
  #now: number
  #next = 1
  readonly #timers = new Map<number, { at: number, fn: () => void }>()

  constructor (start = 0) { this.#now = start }

  now (): number { return this.#now }

  setTimeout (fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn })
    return id
  }

  clearTimeout (handle: unknown): void { this.#timers.delete(handle as number) }

  /** Timers set and not yet run or cleared. */
  get pending (): number { return this.#timers.size }

  /** Moves time forward by `ms`, running each timer that falls due on the way. */
  advance (ms: number): void {
    const end = this.#now + ms
    while (this.#runNext(end));
    this.#now = end
  }

  // Runs the earliest timer due by `end` (time moves to it); false when none is.
  #runNext (end: number): boolean {
    let first: [number, { at: number, fn: () => void }] | undefined
    for (const entry of this.#timers) if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at)) first = entry
    if (first === undefined) return false
    this.#timers.delete(first[0])
    this.#now = Math.max(this.#now, first[1].at)
    first[1].fn()
    return true
  }

  /**
   * Moves time forward by `ms` like {@link ManualClock.advance}, but lets promise reactions run
   * after each timer (one macrotask turn), so timers that those reactions set and that fall due
   * within `ms` run too. Use it to drive async code such as a window stage's idle timer.
   */
  async tick (ms: number): Promise<void> {
    const end = this.#now + ms
    do await new Promise(resolve => setImmediate(resolve))
    while (this.#runNext(end))
    this.#now = end
    await new Promise(resolve => setImmediate(resolve))
  }

  /** Sets the time (forward only), running the timers that fall due. */
  set (time: number): void { this.advance(Math.max(0, time - this.#now)) }
}
