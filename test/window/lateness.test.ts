import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RecordBatch, type SensorRecord, sliding, tumbling, type TumblingOptions } from '../../src/index.js'
import { collect, fromItems, rowsOf } from '../helpers.js'
import { ALL, byWindowThenKey, latestRevisions, referenceWindows } from './reference.js'

type Stage = ReturnType<typeof tumbling>

async function run (stage: Stage, batches: Array<SensorRecord[] | RecordBatch>): Promise<SensorRecord[]> {
  return rowsOf(await collect(stage(fromItems(batches))))
}

const cut = <T>(xs: T[], size: number): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size))
  return out
}

describe('watermark and allowed lateness', () => {
  it('with no lateness, a window closes at the first record at or past its end, and an earlier record is late', async () => {
    const stage = tumbling({ size: 1000, time: 'ts' })
    const it = stage(fromItems([[{ ts: 100 }, { ts: 999 }], [{ ts: 1000 }], [{ ts: 500 }], [{ ts: 1500 }]]))[Symbol.asyncIterator]()
    expect(rowsOf([(await it.next()).value])).toEqual([{ window: 0, end: 1000, count: 2 }])
    // 500 belongs to the closed window [0, 1000): dropped and counted, nothing emitted for it.
    const rest = rowsOf((await collect({ [Symbol.asyncIterator]: () => it })))
    expect(rest).toEqual([{ window: 1000, end: 2000, count: 2 }])
    expect(stage.stats).toMatchObject({ accepted: 4, late: 1, lateDropped: 1 })
  })

  it('an out-of-order record within the allowed lateness lands in its own window', async () => {
    const stage = tumbling({ size: 1000, time: 'ts', allowedLateness: '500ms', aggregates: 'count,sum', value: 'v' })
    // 1200 makes the watermark 700: [0, 1000) is still open when 900 comes; 1600 closes it.
    const out = await run(stage, [[{ ts: 100, v: 1 }, { ts: 1200, v: 10 }, { ts: 900, v: 2 }], [{ ts: 1600, v: 20 }, { ts: 300, v: 99 }]])
    expect(out).toEqual([
      { window: 0, end: 1000, count: 2, sum: 3 },
      { window: 1000, end: 2000, count: 2, sum: 30 }
    ])
    expect(stage.stats).toMatchObject({ accepted: 4, late: 1, lateDropped: 1, emitted: 2 })
  })

  it('emits a closed window with the input batch that closed it, before pulling more', async () => {
    const stage = tumbling({ size: 1000, time: 'ts', allowedLateness: 200 })
    const it = stage(fromItems([[{ ts: 100 }], [{ ts: 1100 }], [{ ts: 1200 }]]))[Symbol.asyncIterator]()
    // 1100 - 200 = 900: not yet past 1000; 1200 - 200 = 1000 closes [0, 1000).
    const first = await it.next()
    expect(rowsOf([first.value])).toEqual([{ window: 0, end: 1000, count: 1 }])
    expect(rowsOf([(await it.next()).value])).toEqual([{ window: 1000, end: 2000, count: 2 }])
  })

  it("late: 'emit' hands each late record to onLate and emits nothing for it", async () => {
    const late: SensorRecord[] = []
    const stage = tumbling({ size: 1000, time: 'ts', late: 'emit', onLate: r => late.push(r) })
    const out = await run(stage, [[{ ts: 100, id: 'a' }, { ts: 2100, id: 'b' }, { ts: 150, id: 'c' }, { ts: 1999, id: 'd' }]])
    expect(late).toEqual([{ ts: 150, id: 'c' }, { ts: 1999, id: 'd' }])
    expect(out.map(r => [r.window, r.count])).toEqual([[0, 1], [2000, 1]])
    expect(stage.stats).toMatchObject({ accepted: 2, late: 2, lateDropped: 0 })
  })

  it("late: 'emit' hands columnar late records over as plain objects", async () => {
    const late: SensorRecord[] = []
    const batch = RecordBatch.fromColumns(['ts', 'v'], [new Float64Array([2000, 10]), new Float64Array([1, 2])], 2)
    await run(tumbling({ size: 1000, time: 'ts', late: 'emit', onLate: r => late.push(r) }), [batch])
    expect(late).toEqual([{ ts: 10, v: 2 }])
  })

  it("late: 'update' adds a late record to its closed window and emits the corrected window with a revision", async () => {
    const stage = tumbling({ size: 1000, time: 'ts', key: 'k', late: 'update', aggregates: 'count,sum', value: 'v' })
    const out = await run(stage, [[{ ts: 100, k: 'a', v: 1 }, { ts: 1100, k: 'a', v: 2 }], [{ ts: 200, k: 'a', v: 10 }, { ts: 300, k: 'b', v: 5 }, { ts: 400, k: 'a', v: 100 }]])
    expect(out).toEqual([
      { window: 0, end: 1000, k: 'a', count: 1, sum: 1, revision: 0 },
      { window: 0, end: 1000, k: 'a', count: 2, sum: 11, revision: 1 },
      { window: 0, end: 1000, k: 'b', count: 1, sum: 5, revision: 0 },
      { window: 0, end: 1000, k: 'a', count: 3, sum: 111, revision: 2 },
      { window: 1000, end: 2000, k: 'a', count: 1, sum: 2, revision: 0 }
    ])
    expect(stage.stats).toMatchObject({ accepted: 5, late: 3, lateDropped: 0, updates: 3 })
  })

  it("late: 'update' keeps at most maxKeys closed windows: a record for a forgotten one is dropped", async () => {
    const stage = tumbling({ size: 1000, time: 'ts', late: 'update', maxKeys: 2 })
    const recs = [0, 1000, 2000, 3000, 4000].map(ts => ({ ts }))
    // Closed: 0, 1000, 2000, 3000; kept: the last two. 500 falls in a forgotten window, 2500 in a kept one.
    const out = await run(stage, [recs, [{ ts: 500 }, { ts: 2500 }]])
    expect(out.filter(r => (r.revision as number) > 0)).toEqual([{ window: 2000, end: 3000, count: 2, revision: 1 }])
    expect(stage.stats).toMatchObject({ late: 2, lateDropped: 1, updates: 1 })
  })

  it('counts records without a time apart from late ones', async () => {
    const stage = tumbling({ size: 1000, time: 'ts' })
    await run(stage, [[{ ts: 5000 }, { ts: 'x' }, { ts: 10 }]])
    expect(stage.stats).toMatchObject({ accepted: 1, noTime: 1, late: 1 })
  })
})

describe('tumbling and sliding against a brute-force reference (property)', () => {
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(v => v === 0 ? 0 : v) },
    { weight: 1, arbitrary: fc.constantFrom(null, 'str') }
  )
  // Records in time order, then each moved back by up to `jitter` ms: within an allowed lateness
  // of `jitter` none is late.
  const input = (maxDt: number) => fc.record({
    raw: fc.array(fc.record({ dt: fc.integer({ min: 0, max: maxDt }), back: fc.double({ min: 0, max: 1, noNaN: true }), k: fc.constantFrom('a', 'b', 'c'), v: value }), { maxLength: 80 }),
    batch: fc.integer({ min: 1, max: 9 })
  })
  const build = (raw: Array<{ dt: number, back: number, k: string, v: unknown }>, jitter: number): SensorRecord[] => {
    let base = 1_700_000_000_000
    return raw.map(({ dt, back, k, v }) => { base += dt; return { ts: base - Math.floor(back * jitter), k, v } })
  }

  it('tumbling: shuffled within the lateness, every record is counted once and the results equal the reference', async () => {
    await fc.assert(fc.asyncProperty(input(700), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 2000 }), async ({ raw, batch }, size, jitter) => {
      const recs = build(raw, jitter)
      const stage = tumbling({ size, time: 'ts', key: 'k', aggregates: ALL, value: 'v', allowedLateness: jitter })
      const out = await run(stage, cut(recs, batch))
      const ref = referenceWindows(recs, { size, lateness: jitter })
      expect(ref.late).toBe(0)
      expect([...out].sort(byWindowThenKey)).toEqual(ref.results)
      expect(out.reduce((n, r) => n + (r.count as number), 0)).toBe(recs.length)
      expect(stage.stats).toMatchObject({ accepted: recs.length, late: 0, emitted: ref.results.length })
    }), { numRuns: 300 })
  })

  it('tumbling, any order and lateness: emitted counts plus late drops equal the records, and the results equal the reference', async () => {
    await fc.assert(fc.asyncProperty(input(700), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 1500 }), async ({ raw, batch }, size, jitter, lateness) => {
      const recs = build(raw, jitter)
      const stage = tumbling({ size, time: 'ts', key: 'k', aggregates: ALL, value: 'v', allowedLateness: lateness })
      const out = await run(stage, cut(recs, batch))
      const ref = referenceWindows(recs, { size, lateness })
      expect([...out].sort(byWindowThenKey)).toEqual(ref.results)
      const counted = out.reduce((n, r) => n + (r.count as number), 0)
      expect(counted + stage.stats.lateDropped).toBe(recs.length)
      expect(stage.stats).toMatchObject({ accepted: counted, late: ref.late, lateDropped: ref.late })
    }), { numRuns: 300 })
  })

  it("tumbling with late: 'update': the last revision of each window equals the reference over all records", async () => {
    await fc.assert(fc.asyncProperty(input(700), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 3000 }), async ({ raw, batch }, size, jitter) => {
      const recs = build(raw, jitter)
      const stage = tumbling({ size, time: 'ts', key: 'k', aggregates: ALL, value: 'v', late: 'update' })
      const out = await run(stage, cut(recs, batch))
      expect(latestRevisions(out)).toEqual(referenceWindows(recs, { size, late: 'update' }).results)
      expect(stage.stats.accepted).toBe(recs.length)
      // Each late record has one window, still held: one correction each, none dropped.
      expect(stage.stats).toMatchObject({ updates: stage.stats.late, lateDropped: 0, emitted: out.length })
    }), { numRuns: 200 })
  })

  it('sliding: shuffled within the lateness, the results equal the reference and each record is in size / slide windows', async () => {
    await fc.assert(fc.asyncProperty(input(500), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 0, max: 1500 }), async ({ raw, batch }, ratio, slide, jitter) => {
      const recs = build(raw, jitter)
      const size = slide * ratio
      const stage = sliding({ size, slide, time: 'ts', key: 'k', aggregates: ALL, value: 'v', allowedLateness: jitter })
      const out = await run(stage, cut(recs, batch))
      const ref = referenceWindows(recs, { size, slide, lateness: jitter })
      expect([...out].sort(byWindowThenKey)).toEqual(ref.results)
      expect(out.reduce((n, r) => n + (r.count as number), 0)).toBe(recs.length * ratio)
      expect(stage.stats).toMatchObject({ accepted: recs.length, late: 0 })
    }), { numRuns: 300 })
  })

  it('sliding, any order and lateness (slide need not divide size): the results equal the reference', async () => {
    await fc.assert(fc.asyncProperty(input(500), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 900 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 1000 }), async ({ raw, batch }, size0, slide0, jitter, lateness) => {
      const size = Math.max(size0, slide0)
      const slide = Math.min(size0, slide0)
      const recs = build(raw, jitter)
      const stage = sliding({ size, slide, time: 'ts', key: 'k', aggregates: ALL, value: 'v', allowedLateness: lateness })
      const out = await run(stage, cut(recs, batch))
      const ref = referenceWindows(recs, { size, slide, lateness })
      expect([...out].sort(byWindowThenKey)).toEqual(ref.results)
      expect(stage.stats.late).toBe(ref.late)
      expect(stage.stats.accepted + stage.stats.lateDropped).toBe(recs.length)
    }), { numRuns: 300 })
  })

  it("sliding with late: 'update': the last revision of each window equals the reference over all records", async () => {
    await fc.assert(fc.asyncProperty(input(500), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 0, max: 3000 }), async ({ raw, batch }, ratio, slide, jitter) => {
      const recs = build(raw, jitter)
      const size = slide * ratio
      const out = await run(sliding({ size, slide, time: 'ts', key: 'k', aggregates: ALL, value: 'v', late: 'update' }), cut(recs, batch))
      expect(latestRevisions(out)).toEqual(referenceWindows(recs, { size, slide, late: 'update' }).results)
    }), { numRuns: 200 })
  })
})

describe('late options', () => {
  it('throw TypeErrors naming the option at build time', () => {
    const base: TumblingOptions = { size: '1s', time: 'ts' }
    expect(() => tumbling({ ...base, allowedLateness: '-1s' })).toThrow(/"allowedLateness"/)
    expect(() => tumbling({ ...base, allowedLateness: 'soon' })).toThrow(/"allowedLateness"/)
    expect(() => tumbling({ ...base, late: 'keep' as 'drop' })).toThrow(/"late"/)
    expect(() => tumbling({ ...base, late: 'emit' })).toThrow(/"onLate"/)
    expect(() => tumbling({ ...base, onLate: 5 as unknown as () => void })).toThrow(/"onLate"/)
    expect(() => tumbling({ ...base, idleTimeout: 0 })).toThrow(/"idleTimeout"/)
    expect(() => tumbling({ count: 3, allowedLateness: '1s' })).toThrow(/"allowedLateness"/)
    expect(() => tumbling({ count: 3, late: 'update' })).toThrow(/"late"/)
    expect(() => tumbling({ count: 3, aggregates: 'rate:v' })).toThrow(/rate/)
    expect(() => tumbling({ ...base, markPartial: 'yes' as unknown as boolean })).toThrow(/"markPartial"/)
    expect(() => tumbling({ ...base, clock: {} as never })).toThrow(/"clock"/)
    expect(() => tumbling({ ...base, allowedLateness: 0 })).not.toThrow()
    expect(() => tumbling({ ...base, allowedLateness: '0' })).not.toThrow()
  })
})
