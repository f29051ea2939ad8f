// Time that moves while no input arrives: idle timeouts and arrival time, driven by an injected
// ManualClock or by vitest's fake timers through the system clock.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, type SensorRecord, session, sliding, systemClock, tumbling } from '../../src/index.js'
import { rowsOf } from '../helpers.js'

/** A source the test feeds by hand; `return()` ends a pending `next()` at once, as an aborted source does. */
class Feed implements AsyncIterable<SensorRecord[]>, AsyncIterator<SensorRecord[]> {
  readonly #queue: SensorRecord[][] = []
  #waiting: ((r: IteratorResult<SensorRecord[]>) => void) | undefined
  #ended = false
  returned = false
  pulls = 0

  push (batch: SensorRecord[]): void {
    if (this.#waiting !== undefined) { const w = this.#waiting; this.#waiting = undefined; w({ value: batch, done: false }) } else this.#queue.push(batch)
  }

  end (): void {
    this.#ended = true
    if (this.#waiting !== undefined) { const w = this.#waiting; this.#waiting = undefined; w({ value: undefined, done: true }) }
  }

  async next (): Promise<IteratorResult<SensorRecord[]>> {
    this.pulls++
    if (this.#queue.length > 0) return { value: this.#queue.shift()!, done: false }
    if (this.#ended) return { value: undefined, done: true }
    return await new Promise(resolve => { this.#waiting = resolve })
  }

  async return (): Promise<IteratorResult<SensorRecord[]>> {
    this.returned = true
    this.end()
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator] (): AsyncIterator<SensorRecord[]> { return this }
}

/** Lets the stage's promise chain settle. */
const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await Promise.resolve() }

/** Starts next() and reports whether it settled, without waiting for it. */
function track<T> (p: Promise<T>): { settled: () => boolean, value: Promise<T> } {
  let done = false
  void p.then(() => { done = true }, () => { done = true })
  return { settled: () => done, value: p }
}

afterEach(() => { vi.useRealTimers() })

describe('idle timeout with an injected clock', () => {
  it('closes the windows of a quiet source when the wall clock says the watermark has passed their end', async () => {
    const clock = new ManualClock(50_000)
    const feed = new Feed()
    const stage = tumbling({ size: '1s', time: 'ts', key: 'k', idleTimeout: '2s', clock })
    const it = stage(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 100, k: 'a' }, { ts: 900, k: 'b' }])
    const next = track(it.next())
    await settle()
    // No record has reached 1000: nothing closes by event time, and the source is quiet.
    expect(next.settled()).toBe(false)
    expect(clock.pending).toBe(1)
    clock.advance(1999)
    await settle()
    expect(next.settled()).toBe(false)
    // 2 s of silence: the watermark becomes 900 + 2000 and [0, 1000) closes.
    clock.advance(1)
    const r = await next.value
    expect(rowsOf([r.value!])).toEqual([{ window: 0, end: 1000, k: 'a', count: 1 }, { window: 0, end: 1000, k: 'b', count: 1 }])
    // Nothing is open now: no timer is left waiting.
    const after = track(it.next())
    await settle()
    expect(clock.pending).toBe(0)
    feed.end()
    expect((await after.value).done).toBe(true)
  })

  it('keeps the watermark moving with the clock: a window ends on time even if its end is far past the timeout', async () => {
    const clock = new ManualClock(0)
    const feed = new Feed()
    const it = tumbling({ size: '10s', time: 'ts', idleTimeout: '1s', clock })(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 2000 }])
    const next = track(it.next())
    await settle()
    // The window [0, 10 s) closes when the clock has moved 8 s past the arrival of ts 2000.
    clock.advance(7999)
    await settle()
    expect(next.settled()).toBe(false)
    clock.advance(1)
    expect(rowsOf([(await next.value).value!])).toEqual([{ window: 0, end: 10_000, count: 1 }])
    // A record now older than the clock-driven watermark is late.
    feed.push([{ ts: 9000 }, { ts: 10_500 }])
    feed.end()
    const rest = rowsOf([(await it.next()).value!])
    expect(rest).toEqual([{ window: 10_000, end: 20_000, count: 1 }])
  })

  it('does not fire while batches keep arriving within the timeout', async () => {
    const clock = new ManualClock(0)
    const feed = new Feed()
    const stage = tumbling({ size: '1s', time: 'ts', idleTimeout: '2s', clock })
    const it = stage(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 100 }])
    const next = track(it.next())
    for (let i = 0; i < 5; i++) {
      clock.advance(1500)
      // Same event time: the source is alive but event time does not move.
      feed.push([{ ts: 200 }])
      await settle()
    }
    expect(next.settled()).toBe(false)
    clock.advance(2000)
    expect(rowsOf([(await next.value).value!])).toEqual([{ window: 0, end: 1000, count: 6 }])
    await it.return?.()
  })

  it('return() while a next() is pending clears the timer and asks the source to return', async () => {
    const clock = new ManualClock(0)
    const feed = new Feed()
    const it = sliding({ size: '2s', slide: '1s', time: 'ts', idleTimeout: '1s', clock })(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 500 }])
    const next = track(it.next())
    await settle()
    expect(clock.pending).toBe(1)
    await clock.tick(1000) // 1 s of silence: the watermark reaches 1500 and [-1000, 1000) closes
    expect((await next.value).done).toBe(false)
    // The stage is parked at a yield while the source's next() is still pending.
    await it.return?.()
    expect(clock.pending).toBe(0)
    expect(feed.returned).toBe(true)
  })

  it('a source error rejects next() and leaves no timer', async () => {
    const clock = new ManualClock(0)
    const failing: AsyncIterable<SensorRecord[]> = {
      async * [Symbol.asyncIterator] () {
        yield [{ ts: 100 }]
        throw new Error('device unplugged')
      }
    }
    const it = tumbling({ size: '1s', time: 'ts', idleTimeout: '1s', clock })(failing)[Symbol.asyncIterator]()
    await expect(it.next()).rejects.toThrow('device unplugged')
    expect(clock.pending).toBe(0)
  })

  it('closes idle sessions too', async () => {
    const clock = new ManualClock(0)
    const feed = new Feed()
    const it = session({ gap: '30s', time: 'ts', key: 'k', idleTimeout: '5s', clock })(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 1000, k: 'door' }, { ts: 4000, k: 'door' }])
    const next = track(it.next())
    await clock.tick(29_999)
    expect(next.settled()).toBe(false)
    await clock.tick(1)
    expect(rowsOf([(await next.value).value!])).toEqual([{ window: 1000, end: 34_000, k: 'door', count: 2 }])
    await it.return?.()
  })
})

describe('arrival time', () => {
  it("time: 'arrival' stamps each batch with the clock and closes windows on the clock", async () => {
    const clock = new ManualClock(10_300)
    const feed = new Feed()
    const it = tumbling({ size: '1s', time: 'arrival', aggregates: 'count,max', value: 'v', clock })(feed)[Symbol.asyncIterator]()
    feed.push([{ v: 1 }, { v: 5 }])
    const next = track(it.next())
    await settle()
    clock.advance(400)
    feed.push([{ v: 3 }])
    await settle()
    expect(next.settled()).toBe(false)
    clock.advance(300) // 11 000: [10 000, 11 000) ends
    expect(rowsOf([(await next.value).value!])).toEqual([{ window: 10_000, end: 11_000, count: 3, max: 5 }])
    feed.end()
    expect((await it.next()).done).toBe(true)
  })

  it('a field named arrival is still reachable as arrival:ms', async () => {
    const feed = new Feed()
    feed.push([{ arrival: 1500 }])
    feed.end()
    const out: SensorRecord[] = []
    for await (const b of tumbling({ size: '1s', time: 'arrival:ms' })(feed)) out.push(...rowsOf([b]))
    expect(out).toEqual([{ window: 1000, end: 2000, count: 1 }])
  })
})

describe('idle timeout with fake timers and the system clock', () => {
  it('closes a quiet window after the timeout', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const feed = new Feed()
    const it = tumbling({ size: '1s', time: 'ts', idleTimeout: '3s', clock: systemClock })(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 999_500 }])
    const next = track(it.next())
    await vi.advanceTimersByTimeAsync(2999)
    expect(next.settled()).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(rowsOf([(await next.value).value!])).toEqual([{ window: 999_000, end: 1_000_000, count: 1 }])
    await it.return?.()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('a quiet key does not hold back the others', () => {
  it('closes the window of a key that went quiet when the watermark, moved by other keys, passes its end', async () => {
    const feed = new Feed()
    const it = tumbling({ size: '1s', time: 'ts', key: 'k' })(feed)[Symbol.asyncIterator]()
    feed.push([{ ts: 100, k: 'quiet' }, { ts: 200, k: 'busy' }])
    feed.push([{ ts: 1100, k: 'busy' }])
    // The first batch closes nothing, so the first result is the window the second one closed.
    const first = await it.next()
    expect(rowsOf([first.value!])).toEqual([{ window: 0, end: 1000, k: 'quiet', count: 1 }, { window: 0, end: 1000, k: 'busy', count: 1 }])
    await it.return?.()
  })
})
