// The heap monitor: probes between stages count and time batches, measure the heap, and stop a
// pipeline whose live heap passes a budget, naming where.
import { describe, expect, it } from 'vitest'
import {
  formatHeapTable, HeapBudgetError, heapMonitor, lines, liveHeap, MB, parseCsv, pipe, type RecordBatch, type SensorRecord,
  toJsonLines, tumbling, where
} from '../../src/index.js'
import { POINTS, TimeSeries } from '../../src/memory/series.js'
import { collect, CountingSource, stageContract } from '../helpers.js'
import { referenceSource, SENSORS } from './helpers.js'

const COLUMNS = 'ts:time,sensor:string,value:float'

describe('heapMonitor().probe (stage contract)', () => {
  stageContract(() => heapMonitor({ liveSamples: false }).probe('x'), i => [i])
})

describe('heapMonitor', () => {
  it('passes every batch on unchanged, the same objects', async () => {
    const batches = [[1], [2, 3], [4, 5, 6]]
    const out = await collect(heapMonitor({ liveSamples: false }).pipe(new CountingSource(i => batches[i]!, 3), async function * idStage (s: AsyncIterable<number[]>) { yield * s }))
    expect(out).toEqual(batches)
    expect(out[1]).toBe(batches[1])
  })

  it('counts batches, records in and out, drops and time per stage of the reference pipeline', async () => {
    const monitor = heapMonitor({ gcEvery: 0 })
    const n = 50_000
    const parser = parseCsv({ columns: COLUMNS })
    const filter = where('value >= -40 && value <= 125')
    const format = toJsonLines()
    let bytes = 0
    for await (const chunk of monitor.pipe(referenceSource(n), lines(), parser, filter,
      tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean', value: 'value' }), format)) bytes += (chunk as Uint8Array).byteLength
    const report = await monitor.finish()
    const [source, framer, parse, keep, window, output] = report.stages
    expect(report.stages.map(s => s.name)).toEqual(['source', 'lines', 'parseCsv', 'filter', 'tumbling', 'toJsonLines'])
    expect(source!.unit).toBe('bytes')
    expect(framer!.in).toBe(source!.out)
    expect(framer!.out).toBe(n)
    expect(framer!.dropped).toBe(0)
    expect(parse!.in).toBe(n)
    expect(parse!.out).toBe(n)
    expect(parse!.dropped).toBe(0)
    expect(keep!.dropped).toBe(filter.stats.dropped)
    expect(keep!.out).toBe(n - filter.stats.dropped)
    expect(window!.out).toBe(n / 1000 * SENSORS)
    expect(output!.unit).toBe('bytes')
    expect(output!.out).toBe(bytes)
    expect(output!.in).toBe(format.stats.records)
    for (const s of report.stages) {
      expect(s.batches).toBeGreaterThan(0)
      expect(s.selfMs).toBeGreaterThanOrEqual(0)
      expect(s.heapPeak).toBeGreaterThan(0)
    }
    // every boundary had its turn of live samples (gcEvery 0)
    expect(report.stages.every(s => s.livePeak !== undefined)).toBe(true)
    expect(report.liveStart).toBeGreaterThan(0)
    expect(report.liveEnd).toBeGreaterThan(0)
    expect(report.livePeak).toBeGreaterThanOrEqual(report.liveEnd!)
    expect(report.totalMs).toBeGreaterThan(0)
    expect(report.series).toBeUndefined()
  })

  it('formats the table: a row per stage, the output, and the live heap line', async () => {
    const monitor = heapMonitor({ gcEvery: 0 })
    await collect(monitor.pipe(referenceSource(5000), lines(), parseCsv({ columns: COLUMNS })))
    const text = formatHeapTable(await monitor.finish())
    const rows = text.trimEnd().split('\n')
    expect(rows[0]).toMatch(/^heap check \([0-9.]+ s; MB = 2\^20 bytes/)
    expect(rows[1]).toMatch(/^stage\s+batches\s+in\s+out\s+dropped\s+time ms\s+time %\s+heap peak\s+live peak$/)
    expect(rows[2]).toMatch(/^source\s+\d+\s+-\s+[0-9.]+ MB\s+-/)
    expect(rows[3]).toMatch(/^lines\s+\d+\s+[0-9.]+ MB\s+5000\s+0\s/)
    expect(rows[4]).toMatch(/^parseCsv\s+\d+\s+5000\s+5000\s+0\s/)
    expect(rows[5]).toMatch(/^\(output\)/)
    expect(rows[6]).toMatch(/^live heap \(after GC\): start [0-9.]+ MB, high-water [0-9.]+ MB at .+, end [0-9.]+ MB; \d+ GC-measured samples took \d+ ms$/)
  })

  it('builds nothing and pulls nothing until iterated', async () => {
    const src = new CountingSource(i => [i])
    const monitor = heapMonitor()
    const out = monitor.pipe(src, async function * s (x: AsyncIterable<number[]>) { yield * x })
    await new Promise(resolve => setImmediate(resolve))
    expect(src.started).toBe(false)
    expect(monitor.report().liveSamples).toBe(0)
    const it = out[Symbol.asyncIterator]()
    await it.next()
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })

  it('stops a stage that keeps a copy of every record, names it, and closes the source', async () => {
    const kept: SensorRecord[][] = []
    async function * leakyStage (batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
      for await (const b of batches) { kept.push(b.toRows().map(r => ({ ...r }))); yield b }
    }
    const budget = Math.ceil(liveHeap()! / MB) + 24
    const monitor = heapMonitor({ maxHeap: budget, gcEvery: 200 })
    // chunks of 5000 lines, counted so the test can see the source closed
    const source = new CountingSource(c => {
      let text = ''
      for (let i = c * 5000; i < (c + 1) * 5000; i++) text += `${1_700_000_000_000 + i},dev-${i % 64},${i % 100}\n`
      return Buffer.from(text)
    })
    let error: unknown
    try {
      for await (const x of monitor.pipe(source, lines(), parseCsv({ columns: 'ts:time,sensor:string,value:float' }), leakyStage)) expect(x).toBeDefined()
    } catch (err) { error = err }
    await monitor.finish()
    expect(error).toBeInstanceOf(HeapBudgetError)
    const e = error as HeapBudgetError
    expect(e.code).toBe('ERR_HEAP_BUDGET')
    expect(e.stage).toBe('leaky')
    expect(e.heap).toBeGreaterThan(budget * MB)
    expect(e.budget).toBe(budget * MB)
    expect(e.message).toMatch(/^heap over budget: [0-9.]+ MB in use after garbage collection, over the --max-heap budget of [0-9.]+ MB \(seen at \S+ → \S+, [0-9.]+ s into the run\); most of the live memory was allocated by stage "leaky"/)
    expect(e.report.stages.map(s => s.name)).toEqual(['source', 'lines', 'parseCsv', 'leaky'])
    expect(source.finallyRan).toBe(true)
    kept.length = 0
  }, 60_000)

  it('stops a stage that keeps whole batches, naming the boundary they passed', async () => {
    const kept: RecordBatch[] = []
    async function * hoardStage (batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
      for await (const b of batches) { kept.push(b); yield b }
    }
    const budget = Math.ceil(liveHeap()! / MB) + 24
    const monitor = heapMonitor({ maxHeap: budget, gcEvery: 200, attribute: false })
    let error: unknown
    try {
      await collect(monitor.pipe(referenceSource(20_000_000), lines(), parseCsv({ columns: COLUMNS }), hoardStage))
    } catch (err) { error = err }
    await monitor.finish()
    expect(error).toBeInstanceOf(HeapBudgetError)
    const e = error as HeapBudgetError
    expect(e.stage).toBe('hoard')
    expect(e.message).toMatch(/\d+ batches that passed parseCsv → hoard are still alive: "hoard" or a stage after it keeps them/)
    kept.length = 0
  }, 60_000)

  it('checks its options when built', () => {
    expect(() => heapMonitor({ maxHeap: -1 })).toThrow(/"maxHeap" must be a positive number of MB/)
    expect(() => heapMonitor({ maxHeap: Number.NaN })).toThrow(TypeError)
    expect(() => heapMonitor({ gcEvery: -5 })).toThrow(/"gcEvery"/)
    expect(() => heapMonitor().probe('')).toThrow(/"name"/)
  })

  it('an error in a stage passes through the probes and the source is closed', async () => {
    const src = new CountingSource(i => [i])
    const boom = new Error('stage failed')
    async function * failing (s: AsyncIterable<number[]>): AsyncGenerator<number[]> {
      for await (const x of s) { if (x[0] === 2) throw boom; yield x }
    }
    await expect(collect(heapMonitor({ liveSamples: false }).pipe(src, failing))).rejects.toBe(boom)
    expect(src.finallyRan).toBe(true)
  })

  it('keeps a time series with profile: true', async () => {
    const monitor = heapMonitor({ profile: true, gcEvery: 0 })
    await collect(monitor.pipe(referenceSource(20_000), lines(), parseCsv({ columns: COLUMNS })))
    const { series } = await monitor.finish()
    expect(series).toBeDefined()
    expect(series!.boundaries).toHaveLength(3)
    const records = series!.boundaries[2]!.items.reduce((a, b) => a + b, 0)
    expect(records).toBe(20_000)
    expect(series!.boundaries.some(b => b.live.some(v => v !== null))).toBe(true)
  })
})

describe('TimeSeries', () => {
  it('holds at most POINTS buckets however long the run, merging them and keeping the totals', () => {
    const s = new TimeSeries(0, 10)
    let total = 0
    for (let t = 0; t < 1_000_000; t += 7) { s.add(0, t, 3, 1, t); total += 3 }
    const d = s.data()
    expect(d.length).toBeLessThanOrEqual(POINTS)
    expect(d.bucketMs).toBeGreaterThan(10)
    expect(d.boundaries[0]!.items.reduce((a, b) => a + b, 0)).toBe(total)
    expect(Math.max(...d.boundaries[0]!.heap)).toBe(999_999 - 999_999 % 7)
  })
})

// pipe() itself is untouched by the monitor: a pipeline without probes is the same chain.
describe('without a monitor', () => {
  it('pipe() inserts nothing', async () => {
    const src = new CountingSource(i => [i], 3)
    const out = await collect(pipe(src, async function * s (x: AsyncIterable<number[]>) { yield * x }))
    expect(out).toEqual([[0], [1], [2]])
  })
})
