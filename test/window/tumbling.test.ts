import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCsv, RecordBatch, type SensorRecord, tumbling, type TumblingOptions } from '../../src/index.js'
import { collect, CountingSource, fromItems, rowsOf, stageContract } from '../helpers.js'

async function windows (batches: Array<SensorRecord[] | RecordBatch>, options: TumblingOptions): Promise<{ out: SensorRecord[], stage: ReturnType<typeof tumbling> }> {
  const stage = tumbling(options)
  const out = rowsOf(await collect(stage(fromItems(batches))))
  return { out, stage }
}

const ALL = 'count,sum,mean,min,max,first,last'

describe('tumbling(): time windows', () => {
  const readings = [
    { ts: 1000, s: 'a', v: 1 },
    { ts: 1500, s: 'b', v: 2 },
    { ts: 1999, s: 'a', v: 3 },
    { ts: 2000, s: 'a', v: 10 }
  ]

  it('aggregates per key, with window = ts - ts % size and end = window + size', async () => {
    const { out, stage } = await windows([readings], { size: 1000, time: 'ts', key: 's', aggregates: ALL, value: 'v' })
    expect(out).toEqual([
      { window: 1000, end: 2000, s: 'a', count: 2, sum: 4, mean: 2, min: 1, max: 3, first: 1, last: 3 },
      { window: 1000, end: 2000, s: 'b', count: 1, sum: 2, mean: 2, min: 2, max: 2, first: 2, last: 2 },
      { window: 2000, end: 3000, s: 'a', count: 1, sum: 10, mean: 10, min: 10, max: 10, first: 10, last: 10 }
    ])
    expect(stage.stats).toEqual({ accepted: 4, noTime: 0, emitted: 3, earlyFlushes: 0, late: 0, lateDropped: 0, updates: 0, partial: 1 })
  })

  it('aggregates globally without a key', async () => {
    const { out } = await windows([readings], { size: '1s', time: 'ts', aggregates: 'count,sum,mean', value: 'v' })
    expect(out).toEqual([
      { window: 1000, end: 2000, count: 3, sum: 6, mean: 2 },
      { window: 2000, end: 3000, count: 1, sum: 10, mean: 10 }
    ])
  })

  it('starts windows at multiples of the size since the epoch', async () => {
    const { out } = await windows([[{ ts: 1700000003123 }, { ts: 1700000004999 }, { ts: 1700000005000 }]], { size: '5s', time: 'ts' })
    expect(out).toEqual([
      { window: 1700000000000, end: 1700000005000, count: 2 },
      { window: 1700000005000, end: 1700000010000, count: 1 }
    ])
    // (Out of order, so an allowed lateness keeps -1001 from being late; results come by window start.)
    const neg = await windows([[{ ts: -1 }, { ts: -1000 }, { ts: -1001 }]], { size: 1000, time: 'ts', allowedLateness: 1000 })
    expect(neg.out.map(r => r.window)).toEqual([-2000, -1000])
  })

  it('computes exact aggregates: sum in input order, mean = sum / n', async () => {
    const vs = [0.1, 0.2, 0.3, -5, 1e-9]
    const { out } = await windows([vs.map((v, i) => ({ ts: i, v }))], { size: '1s', time: 'ts', aggregates: ALL, value: 'v' })
    const sum = ((((0.1 + 0.2) + 0.3) + -5) + 1e-9)
    expect(out).toEqual([{ window: 0, end: 1000, count: 5, sum, mean: sum / 5, min: -5, max: 0.3, first: 0.1, last: 1e-9 }])
  })

  it('names aggregates of other fields fn_field', async () => {
    const { out } = await windows([[{ ts: 1, temp: 20, hum: 40 }, { ts: 2, temp: 22, hum: 45 }]], { size: '1s', time: 'ts', aggregates: 'mean:temp,max:hum,count,count:hum' })
    expect(out).toEqual([{ window: 0, end: 1000, mean_temp: 21, max_hum: 45, count: 2, count_hum: 2 }])
  })

  it('ignores missing and non-numeric values in numeric aggregates, and gives null when there are none', async () => {
    const recs = [{ ts: 1, v: 'x' }, { ts: 2 }, { ts: 3, v: null }, { ts: 4, v: 2 }, { ts: 1001, v: 'only' }]
    const { out } = await windows([recs], { size: '1s', time: 'ts', aggregates: `${ALL},count:v`, value: 'v' })
    expect(out).toEqual([
      { window: 0, end: 1000, count: 4, sum: 2, mean: 2, min: 2, max: 2, first: 'x', last: 2, count_v: 2 },
      { window: 1000, end: 2000, count: 1, sum: null, mean: null, min: null, max: null, first: 'only', last: 'only', count_v: 1 }
    ])
  })

  it('reads ISO 8601 time strings', async () => {
    const t0 = Date.UTC(2024, 0, 1)
    const { out } = await windows([[{ ts: '2024-01-01T00:00:00.500Z' }, { ts: '2024-01-01T00:00:00.999' }, { ts: '2024-01-01T00:00:01Z' }]], { size: '1s', time: 'ts' })
    expect(out).toEqual([{ window: t0, end: t0 + 1000, count: 2 }, { window: t0 + 1000, end: t0 + 2000, count: 1 }])
  })

  it("reads epoch seconds with time: 'ts:s' (numbers and digit strings)", async () => {
    const { out } = await windows([[{ ts: 1700000000.5 }, { ts: '1700000000.9' }, { ts: 1700000001 }]], { size: '1s', time: 'ts:s' })
    expect(out).toEqual([
      { window: 1700000000000, end: 1700000001000, count: 2 },
      { window: 1700000001000, end: 1700000002000, count: 1 }
    ])
  })

  it('counts records without a valid time in stats.noTime and leaves them out', async () => {
    const { out, stage } = await windows([[{ ts: 5, v: 1 }, { v: 100 }, { ts: 'later', v: 100 }, { ts: null, v: 100 }, { ts: NaN, v: 100 }, { ts: Infinity, v: 100 }, { ts: 6, v: 3 }]], { size: '1s', time: 'ts', aggregates: 'count,sum', value: 'v' })
    expect(out).toEqual([{ window: 0, end: 1000, count: 2, sum: 4 }])
    expect(stage.stats).toEqual({ accepted: 2, noTime: 5, emitted: 1, earlyFlushes: 0, late: 0, lateDropped: 0, updates: 0, partial: 1 })
  })

  it('flushes the open window at the end of input, and emits it with the batch that closed it otherwise', async () => {
    const stage = tumbling({ size: '1s', time: 'ts' })
    const it = stage(fromItems([[{ ts: 1 }, { ts: 2 }], [{ ts: 1001 }], [{ ts: 1002 }]]))[Symbol.asyncIterator]()
    expect(rowsOf([(await it.next()).value])).toEqual([{ window: 0, end: 1000, count: 2 }])
    expect(rowsOf([(await it.next()).value])).toEqual([{ window: 1000, end: 2000, count: 2 }])
    expect((await it.next()).done).toBe(true)
  })

  it('bounds the open keys with maxKeys: a new key past the bound flushes the least recently updated one early, and is counted', async () => {
    const recs = ['a', 'b', 'c', 'a'].map(s => ({ ts: 10, s }))
    const { out, stage } = await windows([recs], { size: '1s', time: 'ts', key: 's', maxKeys: 2 })
    expect(out).toEqual([
      { window: 0, end: 1000, s: 'a', count: 1 },
      { window: 0, end: 1000, s: 'b', count: 1 },
      { window: 0, end: 1000, s: 'c', count: 1 },
      { window: 0, end: 1000, s: 'a', count: 1 }
    ])
    // c evicts a, then a evicts b: one early flush each (the whole window used to be flushed once).
    expect(stage.stats).toMatchObject({ earlyFlushes: 2, emitted: 4, accepted: 4 })
  })

  it('keys by several fields, keeping values of different types apart', async () => {
    const recs = [{ ts: 1, a: 'x', b: 1 }, { ts: 2, a: 'x', b: '1' }, { ts: 3, a: 'x', b: 1 }, { ts: 4, a: 'y' }]
    const { out } = await windows([recs], { size: '1s', time: 'ts', key: 'a,b' })
    expect(out).toEqual([
      { window: 0, end: 1000, a: 'x', b: 1, count: 2 },
      { window: 0, end: 1000, a: 'x', b: '1', count: 1 },
      { window: 0, end: 1000, a: 'y', b: null, count: 1 }
    ])
  })

  it('gives the same results from columnar (parseCsv) and row batches', async () => {
    const csv = ['1000,a,1.5', '1200,b,2', '1900,a,-3', '2100,b,4', '2200,a,5']
    const columnar = await collect(parseCsv({ columns: 'ts:time,s:string,v:float' })(fromItems([csv])))
    const rows = columnar.flatMap(b => b.toRows().map(r => ({ ...r })))
    const opts: TumblingOptions = { size: '1s', time: 'ts', key: 's', aggregates: ALL, value: 'v' }
    const a = await windows(columnar, opts)
    const b = await windows([rows], opts)
    expect(a.out).toEqual(b.out)
    expect(a.out).toEqual([
      { window: 1000, end: 2000, s: 'a', count: 2, sum: -1.5, mean: -0.75, min: -3, max: 1.5, first: 1.5, last: -3 },
      { window: 1000, end: 2000, s: 'b', count: 1, sum: 2, mean: 2, min: 2, max: 2, first: 2, last: 2 },
      { window: 2000, end: 3000, s: 'b', count: 1, sum: 4, mean: 4, min: 4, max: 4, first: 4, last: 4 },
      { window: 2000, end: 3000, s: 'a', count: 1, sum: 5, mean: 5, min: 5, max: 5, first: 5, last: 5 }
    ])
  })
})

describe('tumbling(): count windows', () => {
  it('numbers each key\'s windows from 0 and flushes partial windows at the end', async () => {
    const recs = ['a', 'a', 'b', 'a', 'b', 'a', 'a'].map((s, i) => ({ s, v: i }))
    const { out, stage } = await windows([recs], { count: 2, key: 's', aggregates: 'count,first,last', value: 'v' })
    expect(out).toEqual([
      { window: 0, s: 'a', count: 2, first: 0, last: 1 },
      { window: 0, s: 'b', count: 2, first: 2, last: 4 },
      { window: 1, s: 'a', count: 2, first: 3, last: 5 },
      { window: 2, s: 'a', count: 1, first: 6, last: 6 }
    ])
    expect(stage.stats).toEqual({ accepted: 7, noTime: 0, emitted: 4, earlyFlushes: 0, late: 0, lateDropped: 0, updates: 0, partial: 1 })
  })

  it('counts globally without a key, and across batches', async () => {
    const { out } = await windows([[{ v: 1 }, { v: 2 }], [{ v: 3 }]], { count: 2, aggregates: 'sum', value: 'v' })
    expect(out).toEqual([{ window: 0, sum: 3 }, { window: 1, sum: 3 }])
  })

  it('bounds the open keys with maxKeys, flushing early and counting it', async () => {
    const recs = ['a', 'b', 'c', 'c'].map(s => ({ s }))
    const { out, stage } = await windows([recs], { count: 5, key: 's', maxKeys: 2 })
    expect(stage.stats.earlyFlushes).toBe(1)
    // every record is in exactly one emitted window
    expect(out.reduce((n, r) => n + (r.count as number), 0)).toBe(4)
    expect(out).toContainEqual({ window: 0, s: 'a', count: 1 })
    expect(out).toContainEqual({ window: 0, s: 'c', count: 2 })
  })
})

describe('tumbling(): reference comparison', () => {
  /** Reference: group in-order records by (window start, key), aggregate each group from scratch. */
  function reference (recs: SensorRecord[], size: number): SensorRecord[] {
    const groups = new Map<string, SensorRecord[]>()
    const order: string[] = []
    for (const r of recs) {
      const t = r.ts as number
      const w = Math.floor(t / size) * size
      const id = `${w}\u0000${String(r.k)}`
      if (!groups.has(id)) { groups.set(id, []); order.push(id) }
      groups.get(id)!.push(r)
    }
    return order.map(id => {
      const g = groups.get(id)!
      const w = Math.floor((g[0]!.ts as number) / size) * size
      const present = g.map(r => r.v).filter(v => v !== undefined && v !== null)
      const nums = present.filter((v): v is number => typeof v === 'number')
      let sum = 0
      for (const v of nums) sum += v
      return {
        window: w,
        end: w + size,
        k: g[0]!.k,
        count: g.length,
        sum: nums.length === 0 ? null : sum,
        mean: nums.length === 0 ? null : sum / nums.length,
        min: nums.length === 0 ? null : Math.min(...nums),
        max: nums.length === 0 ? null : Math.max(...nums),
        first: present[0] ?? null,
        last: present[present.length - 1] ?? null
      }
    })
  }

  const byWindowThenKey = (a: SensorRecord, b: SensorRecord): number => (a.window as number) - (b.window as number) || String(a.k).localeCompare(String(b.k))

  it('equals a brute-force reference on random in-order records (property)', async () => {
    const value = fc.oneof(
      { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(v => v === 0 ? 0 : v) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null, 'str') }
    )
    const rec = fc.record({ dt: fc.integer({ min: 0, max: 1500 }), k: fc.constantFrom('a', 'b', 'c'), v: value })
    await fc.assert(fc.asyncProperty(fc.array(rec, { maxLength: 60 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 7 }), async (raw, size, batchSize) => {
      let ts = 1_700_000_000_000
      const recs: SensorRecord[] = raw.map(({ dt, k, v }) => { ts += dt; const r: SensorRecord = { ts, k }; if (v !== undefined) r.v = v; return r })
      const batches: SensorRecord[][] = []
      for (let i = 0; i < recs.length; i += batchSize) batches.push(recs.slice(i, i + batchSize))
      const { out, stage } = await windows(batches, { size, time: 'ts', key: 'k', aggregates: ALL, value: 'v' })
      const expected = reference(recs, size)
      expect([...out].sort(byWindowThenKey)).toEqual([...expected].sort(byWindowThenKey))
      expect(stage.stats).toEqual({ accepted: recs.length, noTime: 0, emitted: expected.length, earlyFlushes: 0, late: 0, lateDropped: 0, updates: 0, partial: stage.stats.partial })
    }), { numRuns: 300 })
  })
})

describe('tumbling(): columnar batches with plain aggregates (the fast path)', () => {
  // Columnar batches with a dictionary key and count/sum/mean/min/max take ingest's fast loop for
  // most rows; row batches never do. Both must give the same windows and counters, also with
  // records out of order, late ones, NaN values, an LRU bound on the keys and allowed lateness.
  it('gives the results and counters of row batches, for random readings in random batch sizes (property)', async () => {
    // Steps of 25 ms and window sizes of whole hundreds, so records often fall exactly on a
    // window's end; a few steps back in time (out of order, or late).
    const rec = fc.record({
      dt: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 8 }).map(x => x * 25) }, { weight: 1, arbitrary: fc.integer({ min: -120, max: -1 }).map(x => x * 25) }),
      k: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
      v: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -5000, max: 5000 }).map(x => x / 100) }, { weight: 1, arbitrary: fc.constant('NaN') })
    })
    const opts = fc.record({
      size: fc.constantFrom(100, 200, 300, 500, 1000),
      maxKeys: fc.option(fc.integer({ min: 2, max: 10 }), { nil: undefined }),
      allowedLateness: fc.option(fc.integer({ min: 1, max: 1500 }), { nil: undefined })
    })
    await fc.assert(fc.asyncProperty(fc.array(rec, { maxLength: 200 }), fc.integer({ min: 1, max: 60 }), opts, async (raw, batchSize, o) => {
      let ts = 1_700_000_000_000
      const lines = raw.map(({ dt, k, v }) => { ts = Math.max(0, ts + dt); return `${ts},${k},${v}` })
      const batches: string[][] = []
      for (let i = 0; i < lines.length; i += batchSize) batches.push(lines.slice(i, i + batchSize))
      const columnar = await collect(parseCsv({ columns: 'ts:time,k:string,v:float' })(fromItems(batches)))
      const rows = columnar.map(b => b.toRows().map(r => ({ ...r })))
      const options: TumblingOptions = { size: o.size, time: 'ts', key: 'k', aggregates: 'count,sum,mean,min,max', value: 'v', maxKeys: o.maxKeys, allowedLateness: o.allowedLateness }
      const a = await windows(columnar, options)
      const b = await windows(rows, options)
      expect(a.out).toEqual(b.out)
      expect(a.stage.stats).toEqual(b.stage.stats)
    }), { numRuns: 500 })
  })
})

describe('tumbling(): options', () => {
  it('throws TypeErrors naming the option at build time', () => {
    expect(() => tumbling({ size: '1x', time: 'ts' })).toThrow(TypeError)
    expect(() => tumbling({ size: '1x', time: 'ts' })).toThrow(/"size"/)
    expect(() => tumbling({})).toThrow(/"size"/)
    expect(() => tumbling({})).toThrow(/"count"/)
    expect(() => tumbling({ size: '1s', count: 2, time: 'ts' })).toThrow(/exactly one/)
    expect(() => tumbling(undefined as unknown as TumblingOptions)).toThrow(TypeError)
    expect(() => tumbling({ size: '1s' })).toThrow(/"time"/)
    expect(() => tumbling({ size: 0, time: 'ts' })).toThrow(/"size"/)
    expect(() => tumbling({ size: '0.1ms', time: 'ts' })).toThrow(/"size"/)
    expect(() => tumbling({ size: '1s', time: 'ts:h' })).toThrow(/"time"/)
    expect(() => tumbling({ count: 0 })).toThrow(/"count"/)
    expect(() => tumbling({ count: 1.5 })).toThrow(/"count"/)
    expect(() => tumbling({ count: 2, maxKeys: 0 })).toThrow(/"maxKeys"/)
    expect(() => tumbling({ count: 2, aggregates: 'median' })).toThrow(/"aggregates"/)
    expect(() => tumbling({ count: 2, aggregates: 'mean' })).toThrow(/"aggregates".*needs a field/)
    expect(() => tumbling({ count: 2, aggregates: 'count,count' })).toThrow(/named twice/)
    expect(() => tumbling({ count: 2, key: 'count' })).toThrow(/clashes/)
    expect(() => tumbling({ count: 2, key: 'a,,b' })).toThrow(/"key"/)
  })

  it('reads durations in ms, s, m, h and d', async () => {
    for (const [size, ms] of [['250ms', 250], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['1d', 86_400_000]] as const) {
      const { out } = await windows([[{ ts: 0 }]], { size, time: 'ts' })
      expect(out[0]!.end, size).toBe(ms)
    }
  })
})

describe('tumbling(): laziness and cleanup', () => {
  describe('count windows of 1 (one result per input batch)', () => {
    stageContract(() => tumbling({ count: 1 }), i => [{ i }])
  })

  describe('time windows (a batch closes the window of the one before)', () => {
    stageContract(() => tumbling({ size: '1s', time: 'ts' }), i => [{ ts: i * 1000 }], 2)
  })

  it('does not read ahead: results of a closed window come before the next pull', async () => {
    const src = new CountingSource(i => [{ ts: i * 1000 }], 5)
    const it = tumbling({ size: '1s', time: 'ts' })(src)[Symbol.asyncIterator]()
    await it.next()
    expect(src.pulls).toBe(2)
    await it.next()
    expect(src.pulls).toBe(3)
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })
})
