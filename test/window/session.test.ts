import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type SensorRecord, session, type SessionOptions } from '../../src/index.js'
import { collect, CountingSource, fromItems, rowsOf, stageContract } from '../helpers.js'

async function sessions (batches: SensorRecord[][], options: SessionOptions): Promise<{ out: SensorRecord[], stage: ReturnType<typeof session> }> {
  const stage = session(options)
  return { out: rowsOf(await collect(stage(fromItems(batches)))), stage }
}

describe('session()', () => {
  it('groups a key\'s records closer than the gap; window is the first time, end the last plus the gap', async () => {
    const recs = [{ ts: 0, k: 'a', v: 1 }, { ts: 20, k: 'b', v: 5 }, { ts: 25, k: 'a', v: 2 }, { ts: 80, k: 'a', v: 3 }, { ts: 90, k: 'b', v: 6 }]
    const { out, stage } = await sessions([recs], { gap: 30, time: 'ts', key: 'k', aggregates: 'count,sum', value: 'v' })
    expect(out).toEqual([
      // 80 moves the watermark past 20 + 30 and 25 + 30: sessions close in order of their end.
      { window: 20, end: 50, k: 'b', count: 1, sum: 5 },
      { window: 0, end: 55, k: 'a', count: 2, sum: 3 },
      // flushed at the end
      { window: 80, end: 110, k: 'a', count: 1, sum: 3 },
      { window: 90, end: 120, k: 'b', count: 1, sum: 6 }
    ])
    expect(stage.stats).toMatchObject({ accepted: 5, emitted: 4, partial: 2 })
  })

  it('a gap of exactly `gap` starts a new session', async () => {
    const { out } = await sessions([[{ ts: 0 }, { ts: 10 }, { ts: 20 }, { ts: 29 }]], { gap: 10, time: 'ts' })
    expect(out.map(r => [r.window, r.end, r.count])).toEqual([[0, 10, 1], [10, 20, 1], [20, 39, 2]])
  })

  it('an out-of-order record within the lateness bridges two open sessions into one', async () => {
    const { out } = await sessions([[{ ts: 0, v: 1 }, { ts: 40, v: 2 }, { ts: 20, v: 4 }, { ts: 200, v: 8 }]], { gap: 30, time: 'ts', allowedLateness: 100, aggregates: 'count,sum,min,max,first,last', value: 'v' })
    expect(out).toEqual([
      { window: 0, end: 70, count: 3, sum: 7, min: 1, max: 4, first: 1, last: 2 },
      { window: 200, end: 230, count: 1, sum: 8, min: 8, max: 8, first: 8, last: 8 }
    ])
  })

  it('a record whose own session would already have closed is late', async () => {
    const late: SensorRecord[] = []
    const { out, stage } = await sessions([[{ ts: 100 }, { ts: 500 }, { ts: 460 }, { ts: 480 }]], { gap: 30, time: 'ts', late: 'emit', onLate: r => late.push(r) })
    // watermark 500: 460 + 30 <= 500 is late; 480 + 30 > 500 joins the open session of 500.
    expect(late).toEqual([{ ts: 460 }])
    expect(out.map(r => [r.window, r.end, r.count])).toEqual([[100, 130, 1], [480, 530, 2]])
    expect(stage.stats).toMatchObject({ accepted: 3, late: 1, lateDropped: 0 })
  })

  it("late: 'update' adds a late record to the emitted session it falls in and emits it again", async () => {
    const { out, stage } = await sessions([[{ ts: 100, v: 1 }, { ts: 110, v: 2 }, { ts: 500, v: 3 }, { ts: 105, v: 10 }, { ts: 300, v: 99 }]], { gap: 30, time: 'ts', late: 'update', aggregates: 'count,sum', value: 'v' })
    expect(out).toEqual([
      { window: 100, end: 140, count: 2, sum: 3, revision: 0 },
      { window: 100, end: 140, count: 3, sum: 13, revision: 1 },
      { window: 500, end: 530, count: 1, sum: 3, revision: 0 }
    ])
    expect(stage.stats).toMatchObject({ late: 2, lateDropped: 1, updates: 1, accepted: 4 })
  })

  it('bounds the open sessions with maxKeys: the least recently updated is flushed early, and counted', async () => {
    const recs = ['a', 'b', 'a', 'c', 'a'].map((k, i) => ({ ts: i, k }))
    const { out, stage } = await sessions([recs], { gap: 100, time: 'ts', key: 'k', maxKeys: 2, markPartial: true })
    // c evicts b (a was updated after b).
    expect(out).toEqual([
      { window: 1, end: 101, k: 'b', count: 1, partial: true },
      { window: 0, end: 104, k: 'a', count: 3, partial: true },
      { window: 3, end: 103, k: 'c', count: 1, partial: true }
    ])
    expect(stage.stats).toMatchObject({ earlyFlushes: 1, partial: 3 })
  })

  it('flushes the sessions still open at the end in order of start, and reuses closed sessions fresh', async () => {
    const recs = [
      { ts: 0, k: 'a', v: 1 }, { ts: 10, k: 'b', v: 2 }, // closed by ts 200: a [0, 50), b [10, 60)
      { ts: 200, k: 'b', v: 3 }, { ts: 210, k: 'a', v: 4 }, { ts: 205, k: 'c', v: 5 } // open at the end
    ]
    const { out } = await sessions([recs], { gap: 50, time: 'ts', key: 'k', aggregates: 'count,sum,min,max', value: 'v', allowedLateness: 20 })
    expect(out).toEqual([
      { window: 0, end: 50, k: 'a', count: 1, sum: 1, min: 1, max: 1 },
      { window: 10, end: 60, k: 'b', count: 1, sum: 2, min: 2, max: 2 },
      { window: 200, end: 250, k: 'b', count: 1, sum: 3, min: 3, max: 3 },
      { window: 205, end: 255, k: 'c', count: 1, sum: 5, min: 5, max: 5 },
      { window: 210, end: 260, k: 'a', count: 1, sum: 4, min: 4, max: 4 }
    ])
  })

  it('equals sessions cut from the sorted times of each key, on random in-order input (property)', async () => {
    const rec = fc.record({ dt: fc.integer({ min: 0, max: 60 }), k: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: -100, max: 100 }) })
    await fc.assert(fc.asyncProperty(fc.array(rec, { maxLength: 80 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 80 }), async (raw, gap, batch, maxKeys) => {
      let ts = 0
      const recs = raw.map(({ dt, k, v }) => ({ ts: ts += dt, k, v }))
      const batches: SensorRecord[][] = []
      for (let i = 0; i < recs.length; i += batch) batches.push(recs.slice(i, i + batch))
      const { out, stage } = await sessions(batches, { gap, time: 'ts', key: 'k', aggregates: 'count,sum', value: 'v', maxKeys: 1000 })
      const expected: SensorRecord[] = []
      for (const k of ['a', 'b', 'c']) {
        let cur: { window: number, last: number, count: number, sum: number } | undefined
        for (const r of recs.filter(r => r.k === k)) {
          if (cur !== undefined && r.ts - cur.last < gap) { cur.last = r.ts; cur.count++; cur.sum += r.v; continue }
          if (cur !== undefined) expected.push({ window: cur.window, end: cur.last + gap, k, count: cur.count, sum: cur.sum })
          cur = { window: r.ts, last: r.ts, count: 1, sum: r.v }
        }
        if (cur !== undefined) expected.push({ window: cur.window, end: cur.last + gap, k, count: cur.count, sum: cur.sum })
      }
      const order = (a: SensorRecord, b: SensorRecord): number => String(a.k).localeCompare(String(b.k)) || (a.window as number) - (b.window as number)
      expect([...out].sort(order)).toEqual(expected.sort(order))
      expect(stage.stats).toMatchObject({ accepted: recs.length, late: 0, earlyFlushes: 0 })
      // With a small key bound every record still lands in exactly one emitted session.
      const bounded = await sessions(batches, { gap, time: 'ts', key: 'k', maxKeys: Math.min(maxKeys, 2) })
      expect(bounded.out.reduce((n, r) => n + (r.count as number), 0)).toBe(recs.length)
    }), { numRuns: 300 })
  })

  it('throws TypeErrors naming the option at build time', () => {
    expect(() => session({ time: 'ts' } as SessionOptions)).toThrow(/"gap"/)
    expect(() => session({ gap: '0s', time: 'ts' })).toThrow(/"gap"/)
    expect(() => session({ gap: '30s' })).toThrow(/"time"/)
    expect(() => session({ gap: '30s', time: 'ts', maxKeys: 0 })).toThrow(/"maxKeys"/)
  })

  describe('laziness and cleanup', () => {
    stageContract(() => session({ gap: 500, time: 'ts' }), i => [{ ts: i * 1000 }], 2)
  })

  it('does not read ahead: a session closed by a batch comes before the next pull', async () => {
    const src = new CountingSource(i => [{ ts: i * 1000 }], 5)
    const it = session({ gap: 500, time: 'ts' })(src)[Symbol.asyncIterator]()
    await it.next()
    expect(src.pulls).toBe(2)
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })
})
