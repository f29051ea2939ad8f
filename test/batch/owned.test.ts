// Batch storage reuse (Owned, `reuse` on fromFile, lines and parseCsv): released storage is
// filled again, released batches refuse to be read, retained and disowned ones stay intact, and
// the data that comes out is the same as without reuse.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { BatchReleasedError, fromFile, LineBatch, lines, parseCsv, Pool, RecordBatch, where } from '../../src/index.js'
import { DictColumn } from '../../src/batch/record-batch.js'
import { pipe } from '../../src/pipe.js'

async function * chunksOf (...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p)
}

const dir = mkdtempSync(join(tmpdir(), 'sp-owned-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('Pool', () => {
  it('keeps at most max items and hands back only one that fits', () => {
    const pool = new Pool<number[]>(2)
    pool.give([1]); pool.give([1, 2]); pool.give([1, 2, 3])
    expect(pool.size).toBe(2)
    expect(pool.take(a => a.length >= 3)).toBeUndefined()
    expect(pool.take(a => a.length >= 2)).toEqual([1, 2])
    expect(pool.size).toBe(1)
  })

  it('with sizeOf, a full pool keeps the largest items (batches that grew still find one)', () => {
    const pool = new Pool<number[]>(2, a => a.length)
    pool.give([1]); pool.give([1, 2])
    pool.give([1, 2, 3]) // replaces [1]
    pool.give([9]) // smaller than both: dropped
    expect(pool.size).toBe(2)
    expect(pool.take(a => a.length >= 3)).toEqual([1, 2, 3])
    expect(pool.take(a => a.length >= 2)).toEqual([1, 2])
    expect(pool.size).toBe(0)
  })
})

describe('lines with reuse', () => {
  it('fills the offsets of a released batch again, and a released batch throws when read', async () => {
    const it = pipe(chunksOf('a\nb\n', 'c\nd\n', 'e\n'), lines({ reuse: true }))[Symbol.asyncIterator]()
    const first = (await it.next()).value as LineBatch
    expect(first.toArray()).toEqual(['a', 'b'])
    const offsets = first.starts.buffer
    first.release()
    expect(first.released).toBe(true)
    expect(() => first.at(0)).toThrow(BatchReleasedError)
    expect(() => first.units).toThrow(expect.objectContaining({ code: 'ERR_BATCH_RELEASED' }))
    const second = (await it.next()).value as LineBatch // made before `first` came back
    const offsets2 = second.starts.buffer
    second.release()
    const third = (await it.next()).value as LineBatch
    expect(third.toArray()).toEqual(['e'])
    expect([offsets, offsets2]).toContain(third.starts.buffer)
  })

  it('hands storage back once however often a batch is released, and refuses to retain a released batch', async () => {
    const it = pipe(chunksOf('a\n', 'b\n', 'c\n', 'd\n'), lines({ reuse: true }))[Symbol.asyncIterator]()
    const first = (await it.next()).value as LineBatch
    first.release()
    first.release() // a second release must not put the same arrays in the pool twice
    expect(() => first.retain()).toThrow(BatchReleasedError)
    const second = (await it.next()).value as LineBatch // made before `first` came back
    const third = (await it.next()).value as LineBatch // in first's arrays
    const fourth = (await it.next()).value as LineBatch // nothing in the pool: fresh arrays
    expect(new Set([second.starts.buffer, third.starts.buffer, fourth.starts.buffer]).size).toBe(3)
    expect([second, third, fourth].map(b => b.toArray())).toEqual([['b'], ['c'], ['d']])
  })

  it('keeps a retained batch readable until its last release', async () => {
    const seen: LineBatch[] = []
    for await (const b of pipe(chunksOf('a\n', 'b\n', 'c\n', 'd\n'), lines({ reuse: true }))) {
      seen.push(b.retain())
      b.release() // the consumer's release: storage stays with the retained batch
    }
    expect(seen.map(b => b.toArray())).toEqual([['a'], ['b'], ['c'], ['d']])
    expect(new Set(seen.map(b => b.starts.buffer)).size).toBe(4) // nothing was reused
    for (const b of seen) b.release()
    expect(seen.every(b => b.released)).toBe(true)
  })

  it('without reuse, release changes nothing: batches stay readable and storage is never shared', async () => {
    const seen: LineBatch[] = []
    for await (const b of pipe(chunksOf('a\n', 'b\n', 'c\n'), lines())) { b.release(); seen.push(b) }
    expect(seen.map(b => b.toArray())).toEqual([['a'], ['b'], ['c']])
    expect(seen.some(b => b.released)).toBe(false)
    expect(new Set(seen.map(b => b.starts.buffer)).size).toBe(3)
  })

  it('never reuses a disowned batch', async () => {
    const seen: LineBatch[] = []
    for await (const b of pipe(chunksOf('a\n', 'b\n', 'c\n'), lines({ reuse: true }))) { seen.push(b.disown()); b.release() }
    expect(seen.map(b => b.toArray())).toEqual([['a'], ['b'], ['c']])
    expect(new Set(seen.map(b => b.starts.buffer)).size).toBe(3)
  })

  it('rejects a reuse option that is not a boolean before the first pull', () => {
    expect(() => lines({ reuse: 'yes' as unknown as boolean })).toThrow(/"reuse" must be a boolean/)
    expect(() => parseCsv({ columns: 'a:int', reuse: 1 as unknown as boolean })).toThrow(/"reuse" must be a boolean/)
    expect(() => fromFile('x', { reuse: 'no' as unknown as boolean })).toThrow(/"reuse" must be a boolean/)
  })
})

describe('parseCsv with reuse', () => {
  const columns = 'ts:time,sensor:string,value:float'
  const text = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `${from + i},s${(from + i) % 3},${(from + i) / 4}`).join('\n') + '\n'

  it('fills the columns of a released batch again, with the next batch\'s values', async () => {
    const it = pipe(chunksOf(text(0, 50), text(50, 50), text(100, 50)), lines({ reuse: true }), parseCsv({ columns, reuse: true }))[Symbol.asyncIterator]()
    const a = (await it.next()).value as RecordBatch
    const storage = a.numbers('value')!.buffer
    a.release()
    expect(() => a.numbers('value')).toThrow(BatchReleasedError)
    const b = (await it.next()).value as RecordBatch
    expect(b.numbers('value')!.buffer).toBe(storage)
    expect(Array.from(b.numbers('ts')!)).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i))
    expect(b.dictionary('sensor')!.toArray()).toEqual(Array.from({ length: 50 }, (_, i) => `s${(50 + i) % 3}`))
  })

  it('leaves a retained batch\'s values as they were while later batches are parsed', async () => {
    const kept: RecordBatch[] = []
    for await (const b of pipe(chunksOf(text(0, 40), text(40, 40), text(80, 40), text(120, 40)), lines({ reuse: true }), parseCsv({ columns, reuse: true }))) {
      kept.push(b.retain())
      b.release()
    }
    expect(kept.flatMap(b => Array.from(b.numbers('ts')!))).toEqual(Array.from({ length: 160 }, (_, i) => i))
  })
})

describe('keepRows', () => {
  const pooled = (n: number, onRecycle: () => void): RecordBatch =>
    RecordBatch.fromColumns(['ts'], [Float64Array.from({ length: n }, (_, i) => i)], n, onRecycle)

  it('moves the kept rows down in place in an exclusive batch, which hands its storage on', () => {
    let recycled = 0
    const batch = pooled(10, () => { recycled++ })
    const storage = batch.numbers('ts')!.buffer
    const kept = batch.keepRows(Uint32Array.of(1, 2, 3, 7, 9), 5)
    expect(Array.from(kept.numbers('ts')!)).toEqual([1, 2, 3, 7, 9])
    expect(kept.numbers('ts')!.buffer).toBe(storage)
    expect(batch.released).toBe(true)
    expect(recycled).toBe(0)
    kept.release()
    expect(recycled).toBe(1)
  })

  it('moves long runs of kept rows down in place too (a range filter drops few rows)', () => {
    let recycled = 0
    const n = 200
    const batch = RecordBatch.fromColumns(['ts', 's'], [Float64Array.from({ length: n }, (_, i) => i), new DictColumn(Int32Array.from({ length: n }, (_, i) => i % 7), ['a', 'b', 'c', 'd', 'e', 'f', 'g'])], n, () => { recycled++ })
    const storage = batch.numbers('ts')!.buffer
    const keep = Uint32Array.from({ length: n }, (_, i) => i).filter(i => i !== 3 && i !== 150)
    const kept = batch.keepRows(keep, keep.length)
    expect(batch.released).toBe(true)
    expect(Array.from(kept.numbers('ts')!)).toEqual(Array.from(keep))
    expect(kept.dictionary('s')!.toArray()).toEqual(Array.from(keep, i => 'abcdefg'[i % 7]))
    expect(kept.numbers('ts')!.buffer).toBe(storage)
    kept.release()
    expect(recycled).toBe(1)
  })

  it('copies the rows of a retained batch and leaves it as it was', () => {
    let recycled = 0
    const batch = pooled(6, () => { recycled++ }).retain()
    const kept = batch.keepRows([0, 5], 2)
    expect(Array.from(kept.numbers('ts')!)).toEqual([0, 5])
    expect(Array.from(batch.numbers('ts')!)).toEqual([0, 1, 2, 3, 4, 5])
    batch.release()
    expect(recycled).toBe(1)
  })

  it('copies a batch made by user code and leaves it readable', () => {
    const batch = RecordBatch.fromColumns(['ts'], [Float64Array.of(1, 2, 3)], 3)
    const kept = batch.keepRows([2], 1)
    expect(Array.from(kept.numbers('ts')!)).toEqual([3])
    expect(Array.from(batch.numbers('ts')!)).toEqual([1, 2, 3])
    expect(batch.released).toBe(false)
  })
})

describe('fromFile, lines and parseCsv with reuse, end to end', () => {
  it('give the same lines as without reuse, on random text in random chunk sizes', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', '\r', 'x\r')), { maxLength: 60 }),
      fc.integer({ min: 1, max: 64 }),
      fc.boolean(),
      async (parts, chunkBytes, endsInLf) => {
        const file = join(dir, 'prop.txt')
        writeFileSync(file, parts.join('\n') + (endsInLf ? '\n' : ''))
        const plain: string[] = []
        for await (const b of pipe(fromFile(file, { chunkBytes }), lines())) plain.push(...b.toArray())
        // Each batch is read only after the next one was pulled (so after later reads): storage
        // handed back too early would show as changed lines.
        const reused: string[] = []
        let held: LineBatch | undefined
        for await (const b of pipe(fromFile(file, { chunkBytes, reuse: true }), lines({ reuse: true, maxLineBytes: 40 }))) {
          if (held !== undefined) { reused.push(...held.toArray()); held.release() }
          held = b
        }
        if (held !== undefined) reused.push(...held.toArray())
        expect(reused).toEqual(plain.filter(l => Buffer.byteLength(l) <= 40))
      }), { numRuns: 150 })
  })

  it('reads a file with a handful of chunk buffers, and gives the records of a run without reuse', async () => {
    const file = join(dir, 'readings.csv')
    const rows = Array.from({ length: 20000 }, (_, i) => `${i},dev-${i % 7},${(i % 300) - 100}${i % 997 === 0 ? 'x' : ''}`)
    writeFileSync(file, rows.join('\n') + '\n')
    const run = async (reuse: boolean): Promise<{ ts: number[], chunks: number }> => {
      const ts: number[] = []
      const chunks = new Set<ArrayBufferLike>()
      const framer = lines({ reuse })
      const source = fromFile(file, { chunkBytes: 4096, reuse })
      async function * spy (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> { for await (const c of src) { chunks.add(c.buffer); yield c } }
      for await (const b of pipe(source, spy, framer, parseCsv({ columns: 'ts:time,sensor:string,value:float', reuse }), where('value >= -40 && value <= 125'))) {
        ts.push(...b.numbers('ts')!)
        b.release()
      }
      return { ts, chunks: chunks.size }
    }
    const plain = await run(false)
    const reused = await run(true)
    expect(reused.ts).toEqual(plain.ts)
    expect(plain.ts.length).toBeGreaterThan(10000)
    expect(plain.chunks).toBeGreaterThan(50)
    expect(reused.chunks).toBeLessThanOrEqual(6)
  })
})

describe('runPipeline', () => {
  it('hands a pipeline\'s own stages batches that stay intact however long they keep them', async () => {
    const { runPipeline, definePipeline } = await import('../../src/index.js')
    const { Writable } = await import('node:stream')
    const file = join(dir, 'run.csv')
    writeFileSync(file, Array.from({ length: 30000 }, (_, i) => `${i},dev-${i % 5},${i % 50}`).join('\n') + '\n')
    const kept: RecordBatch[] = []
    const definition = definePipeline({
      options: { format: 'csv', columns: 'ts:time,sensor:string,value:float', where: 'value >= 10' },
      stages: () => [async function * keeping (batches: AsyncIterable<RecordBatch>) { for await (const b of batches) { kept.push(b); yield b } }]
    })
    const sink = new Writable({ write (_c, _e, cb) { cb() } })
    await runPipeline({ ...definition.options, file }, { stdout: sink }, definition)
    const ts = kept.flatMap(b => Array.from(b.numbers('ts')!))
    expect(ts).toEqual(Array.from({ length: 30000 }, (_, i) => i).filter(i => i % 50 >= 10))
  })
})
