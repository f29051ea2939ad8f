// The reference job, in process, over N and 10×N lines: the heap's high-water mark must not grow
// with the input. Lines are generated lazily (1 MiB Buffers), never stored.
import { describe, expect, it } from 'vitest'
import { lines, parseCsv, pipe, toJsonLines, tumbling, where } from '../../src/index.js'

const MiB = 1 << 20
const SENSORS = 64
const gc = globalThis.gc
const underCi = process.env.CI === 'true'

interface Run {
  /** Highest heapUsed seen after a full GC, in bytes. */
  peak: number
  /** Heap samples taken. */
  samples: number
  lines: number
  emitted: number
  outputLines: number
  /** (window, sensor) pairs with at least one kept reading, counted by the generator. */
  expectedWindows: number
  malformed: number
  filtered: number
}

/**
 * Runs lines → parseCsv → where → tumbling(1s, by sensor) → toJsonLines → a counting sink over
 * `n` generated lines `ts,sensor,value` (ts +1 ms per line, 64 sensors), sampling the heap after
 * a full GC every `every` chunks.
 */
async function referenceJob (n: number, every = 2): Promise<Run> {
  const heap = (): number => { gc!(); return process.memoryUsage().heapUsed }
  let peak = heap()
  let samples = 1
  let expectedWindows = 0
  let seed = 12345
  async function * csv (): AsyncGenerator<Buffer> {
    let pending = Buffer.alloc(0)
    let i = 0
    let chunks = 0
    let window = -1
    let seen = new Set<number>()
    while (i < n || pending.length > 0) {
      let text = ''
      while (i < n && text.length < MiB) {
        const ts = 1_700_000_000_000 + i
        const sensor = i % SENSORS
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
        const v = (seed >>> 8) % 20000 - 5000 // -50.00 .. 149.99
        const w = ts - ts % 1000
        if (w !== window) { expectedWindows += seen.size; seen = new Set(); window = w }
        if (v >= -4000 && v <= 12500) seen.add(sensor)
        text += `${ts},dev-${sensor},${v / 100}\n`
        i++
      }
      const all = text.length > 0 ? Buffer.concat([pending, Buffer.from(text, 'latin1')]) : pending
      const chunk = all.subarray(0, MiB)
      pending = all.subarray(chunk.length)
      if (++chunks % every === 0) { peak = Math.max(peak, heap()); samples++ }
      yield chunk
    }
    expectedWindows += seen.size
  }
  const framer = lines()
  const parser = parseCsv({ columns: 'ts:time,sensor:string,value:float' })
  const filter = where('value >= -40 && value <= 125')
  const window = tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean,min,max', value: 'value' })
  const format = toJsonLines()
  let outputLines = 0
  for await (const bytes of pipe(csv(), framer, parser, filter, window, format)) {
    // toJsonLines yields UTF-8 bytes: a Buffer view of them (no copy) to search for newlines
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) outputLines++
  }
  peak = Math.max(peak, heap())
  samples++
  return {
    peak,
    samples,
    lines: framer.stats.lines,
    emitted: format.stats.records,
    outputLines,
    expectedWindows,
    malformed: parser.stats.malformed + framer.stats.tooLong,
    filtered: filter.stats.dropped
  }
}

describe('bounded heap on the reference job', () => {
  if (gc === undefined) {
    if (underCi) {
      it('has global.gc (vitest.config.ts passes --expose-gc to the forks)', () => {
        throw new Error('global.gc is unavailable under CI=true: the memory bound cannot be checked; vitest must run the forks with --expose-gc')
      })
    } else {
      it.skip('skipped: global.gc is unavailable (run vitest with --expose-gc, as vitest.config.ts does)', () => {})
    }
    return
  }

  it('keeps the heap high-water mark of a 10× longer input within 8 MB of the 1× run', async () => {
    const N = 300_000
    await referenceJob(20_000) // warm up the JIT so both runs measure steady state
    const one = await referenceJob(N)
    const ten = await referenceJob(10 * N)

    // the runs did the whole job
    expect(one.lines).toBe(N)
    expect(ten.lines).toBe(10 * N)
    expect(one.malformed).toBe(0)
    expect(one.emitted).toBe(one.expectedWindows)
    expect(ten.emitted).toBe(ten.expectedWindows)
    expect(ten.outputLines).toBe(ten.emitted)
    // N lines at 1 per ms are N/1000 windows of all 64 sensors
    expect(one.emitted).toBe(N / 1000 * SENSORS)
    expect(ten.filtered).toBeGreaterThan(0)
    expect(ten.samples).toBeGreaterThan(20)

    const growth = ten.peak - one.peak
    expect(growth, `1×: ${(one.peak / MiB).toFixed(1)} MiB, 10×: ${(ten.peak / MiB).toFixed(1)} MiB`).toBeLessThan(8 * MiB)
  }, 60_000)
})
