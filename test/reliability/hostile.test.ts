// Hostile input, in process and at scale: a 1 GiB line without a newline, megabytes of random
// bytes, a million distinct keys. Inputs are generated lazily and never stored; the heap is
// sampled after a full GC (vitest passes --expose-gc to the forks) and must not grow with them.
import { describe, expect, it } from 'vitest'
import { lines, parseCsv, parseJson, parseKeyValue, pipe, type Rejection, toJsonLines, tumbling } from '../../src/index.js'
import { prng } from '../../scripts/prng.mjs'

const MiB = 1 << 20
const gc = globalThis.gc

/** Heap plus Buffer memory after a full GC, in bytes. */
function memory (): number {
  gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}


describe('a 1 GiB line without a newline', () => {
  it('is dropped and counted as one too-long line, its first 256 bytes reported, with memory flat', async () => {
    expect(gc, 'vitest.config.ts passes --expose-gc').toBeDefined()
    const start = memory()
    let peak = 0
    const chunk = Buffer.alloc(MiB, 'x') // one buffer sent 1024 times: the input is never stored
    async function * input (): AsyncGenerator<Buffer> {
      yield Buffer.from('1000,a,1\n1001,b,2\n')
      for (let i = 0; i < 1024; i++) {
        if (i % 128 === 0) peak = Math.max(peak, memory() - start)
        yield chunk
      }
      yield Buffer.from('\n1002,c,3\n')
    }
    const rejected: Array<{ r: Rejection, bytes: number }> = []
    const framer = lines({ onError: (r, bytes) => rejected.push({ r, bytes: bytes?.length ?? -1 }) })
    const parser = parseCsv({ columns: 'ts:time,sensor:string,value:float' })
    let records = 0
    for await (const batch of pipe(input(), framer, parser)) records += batch.length
    peak = Math.max(peak, memory() - start)
    expect(records).toBe(3)
    expect(framer.stats).toEqual({ lines: 4, tooLong: 1 })
    expect(parser.stats).toEqual({ lines: 3, parsed: 3, malformed: 0, reasons: {} })
    expect(rejected).toEqual([{ r: expect.objectContaining({ reason: 'too-long', line: 3, raw: 'x'.repeat(256) }), bytes: 256 }])
    expect(peak).toBeLessThan(32 * MiB)
  })
})

describe('random binary noise', () => {
  // 8 MiB of random bytes in random-sized chunks, through the framer and each parser.
  async function * noise (seed: number): AsyncGenerator<Buffer> {
    const rand = prng(seed)
    let left = 8 * MiB
    while (left > 0) {
      const n = Math.min(left, 1 + Math.floor(rand() * 300_000))
      const b = Buffer.allocUnsafe(n)
      for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0
      left -= n
      yield b
    }
  }
  const parsers = {
    'parseCsv': () => parseCsv({ columns: 'ts:time,sensor:string,value:float' }),
    'parseCsv, quotedNewlines': () => parseCsv({ columns: 'ts:time,sensor:string,value:float', quotedNewlines: true }),
    'parseJson': () => parseJson(),
    'parseKeyValue': () => parseKeyValue()
  }
  for (const [name, make] of Object.entries(parsers)) {
    it(`${name}: nothing throws, every line is parsed, rejected by reason, or part of a multi-line record`, async () => {
      const start = memory()
      const framer = lines({ maxLineBytes: 4096 })
      const parser = make()
      let records = 0
      let peak = 0
      let batches = 0
      for await (const batch of pipe(noise(name.length), framer, parser)) {
        records += batch.length
        if (++batches % 16 === 0) peak = Math.max(peak, memory() - start)
      }
      const s = parser.stats
      const multiline = (parser as { multiline?: { lines: number } }).multiline?.lines ?? 0
      expect(framer.stats.lines).toBeGreaterThan(30_000) // about one LF in 256 bytes
      expect(framer.stats.lines - framer.stats.tooLong).toBe(s.lines + multiline)
      expect(s.lines).toBe(s.parsed + s.malformed)
      expect(Object.values(s.reasons).reduce((a, b) => a + b, 0)).toBe(s.malformed)
      expect(records).toBe(s.parsed)
      expect(peak).toBeLessThan(32 * MiB)
    })
  }
})

describe('a million distinct keys', () => {
  it('in one window: the window holds at most maxKeys, flushes early (counted), and the heap does not grow with the keys', async () => {
    const start = memory()
    const samples: Array<[number, number]> = []
    const N = 1_000_000
    async function * csv (): AsyncGenerator<Buffer> {
      let text = ''
      for (let i = 0; i < N; i++) {
        text += `${1_700_000_000_000 + (i % 1000)},k${i},${i % 100}\n`
        if (text.length >= MiB) { yield Buffer.from(text, 'latin1'); text = '' }
        if (i % 100_000 === 0 && i > 0) samples.push([i, memory() - start])
      }
      yield Buffer.from(text, 'latin1')
    }
    const parser = parseCsv({ columns: 'ts:time,sensor:string,value:float' })
    const window = tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean', value: 'value' })
    const format = toJsonLines()
    let bytes = 0
    for await (const out of pipe(csv(), lines(), parser, window, format)) bytes += out.length
    expect(parser.stats.parsed).toBe(N)
    expect(format.stats.records).toBe(N) // every key's one reading comes out, in its own window
    expect(window.stats.earlyFlushes).toBeGreaterThan(0)
    expect(bytes).toBeGreaterThan(N * 40)
    // Once the window is full (100,000 keys), the heap stays where it is.
    const [, at200k] = samples.find(([i]) => i === 200_000)!
    const last = Math.max(...samples.filter(([i]) => i >= 200_000).map(([, m]) => m))
    expect(last - at200k, `heap samples (lines, bytes): ${JSON.stringify(samples)}`).toBeLessThan(24 * MiB)
    expect(last).toBeLessThan(160 * MiB)
  })
})
