// Storage reuse at the end of a pipeline: toJsonLines({ reuse }) fills an output buffer again once
// writeTo hands it back, and a window stage with `reuse` fills the number columns of released
// result batches again. Output must be byte for byte what it is without reuse.
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RecordBatch, type SensorRecord, toJsonLines, tumbling, writeTo } from '../../src/index.js'
import { collect, fromItems, tempDir } from '../helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { dir = await tempDir() })
afterAll(async () => { await dir.remove() })

/** 60 columnar batches of 200 to 1,400 records (sizes vary, so buffers must fit varying output). */
function batches (): RecordBatch[] {
  const out: RecordBatch[] = []
  for (let b = 0; b < 60; b++) {
    const n = 200 + ((b * 7919) % 1200)
    const ts = new Float64Array(n)
    const v = new Float64Array(n)
    for (let i = 0; i < n; i++) { ts[i] = b * 10_000 + i; v[i] = (b * 31 + i) / 7 }
    out.push(RecordBatch.fromColumns(['ts', 'v'], [ts, v], n))
  }
  return out
}

/** Records the ArrayBuffer of each chunk on its way to the sink. */
async function * noting (chunks: AsyncIterable<Uint8Array>, seen: Set<ArrayBufferLike>): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) { seen.add(c.buffer); yield c }
}

describe('toJsonLines({ reuse: true }) with writeTo', () => {
  const expected = async (): Promise<string> => Buffer.concat(await collect(toJsonLines()(fromItems(batches())))).toString()

  it('writes the same bytes to a file path through a few buffers, not one per batch', async () => {
    const path = dir.file('reuse.jsonl')
    const seen = new Set<ArrayBufferLike>()
    await writeTo(path)(noting(toJsonLines({ reuse: true })(fromItems(batches())), seen))
    expect(await readFile(path, 'utf8')).toBe(await expected())
    expect(seen.size).toBeLessThanOrEqual(4)
  })

  it('does the same through an fs.WriteStream, whose writes finish later (a buffer is reused only once written)', async () => {
    const path = dir.file('reuse-stream.jsonl')
    // A high-water mark above the whole output: writeTo never waits for drain, so batches are
    // formatted while earlier writes are still in the thread pool.
    const stream = createWriteStream(path, { highWaterMark: 1 << 30 })
    await writeTo(stream)(toJsonLines({ reuse: true })(fromItems(batches())))
    await new Promise<void>(resolve => stream.end(resolve))
    // (Compared by equality, not toBe: a diff of 2 MB of text takes the reporter minutes.)
    expect((await readFile(path, 'utf8')) === await expected()).toBe(true)
  })

  it('keeps the longest buffers handed back: output that outgrows the first buffers still reuses', async () => {
    // Lines of exactly 29 bytes: 5 batches of about 200 KB (buffers of 256 KiB), then 40 of about
    // 216 KB, which need 512 KiB. A pool that kept the first two 256 KiB buffers would miss on
    // every later batch.
    const sized = (rows: number, b: number): RecordBatch => {
      const ts = new Float64Array(rows)
      const v = new Float64Array(rows)
      for (let i = 0; i < rows; i++) { ts[i] = 1_700_000_000_000 + b * 10_000 + i; v[i] = 100 + (i % 800) }
      return RecordBatch.fromColumns(['ts', 'v'], [ts, v], rows)
    }
    const input = (): RecordBatch[] => Array.from({ length: 45 }, (_, b) => sized(b < 5 ? 6_897 : 7_448, b))
    const path = dir.file('growing.jsonl')
    const seen = new Set<ArrayBufferLike>()
    await writeTo(path)(noting(toJsonLines({ reuse: true })(fromItems(input())), seen))
    const text = await readFile(path, 'utf8')
    expect(text.length).toBe(29 * (5 * 6_897 + 40 * 7_448))
    expect(text === Buffer.concat(await collect(toJsonLines()(fromItems(input())))).toString()).toBe(true)
    expect(seen.size).toBeLessThanOrEqual(6)
  })

  it('hands nothing back to a stream that may pass the same Buffer on (a PassThrough): every batch its own buffer, intact', async () => {
    const pass = new PassThrough({ highWaterMark: 1 << 30 })
    const seen = new Set<ArrayBufferLike>()
    await writeTo(pass)(noting(toJsonLines({ reuse: true })(fromItems(batches())), seen))
    pass.end()
    expect(Buffer.concat(await collect(pass) as Buffer[]).toString()).toBe(await expected())
    expect(seen.size).toBe(60)
  })

  it('without reuse, every batch gets a fresh buffer', async () => {
    const seen = new Set<ArrayBufferLike>()
    await writeTo(dir.file('fresh.jsonl'))(noting(toJsonLines()(fromItems(batches())), seen))
    expect(seen.size).toBe(60)
  })

  it('rejects a reuse option that is not a boolean', () => {
    expect(() => toJsonLines({ reuse: 'yes' as unknown as boolean })).toThrow(/"reuse" must be a boolean/)
  })
})

describe('a window stage with reuse', () => {
  // 40 batches of readings in 1 s windows of 3 sensors: each batch closes several windows.
  function readings (): SensorRecord[][] {
    const out: SensorRecord[][] = []
    for (let b = 0; b < 40; b++) {
      const batch: SensorRecord[] = []
      for (let i = 0; i < 300; i++) { const t = b * 3000 + i * 10; batch.push({ ts: t, s: `s${i % 3}`, v: (t % 97) / 3 }) }
      out.push(batch)
    }
    return out
  }
  const options = { size: '1s', time: 'ts', key: 's', aggregates: 'count,mean,min,max', value: 'v' } as const

  it('fills the number columns of released result batches again, with the same results', async () => {
    const plain = (await collect(tumbling(options)(fromItems(readings())))).flatMap(b => b.toRows().map(r => ({ ...r })))
    const arrays = new Set<ArrayBufferLike>()
    const rows: SensorRecord[] = []
    let batchesOut = 0
    for await (const batch of tumbling({ ...options, reuse: true })(fromItems(readings()))) {
      batchesOut++
      arrays.add(batch.numbers('mean')!.buffer)
      rows.push(...batch.toRows().map(r => ({ ...r })))
      batch.release()
    }
    expect(rows).toEqual(plain)
    expect(batchesOut).toBeGreaterThan(30)
    expect(arrays.size).toBeLessThanOrEqual(3)
  })

  it('allocates afresh for batches that are not released (a consumer may keep them)', async () => {
    const kept = await collect(tumbling({ ...options, reuse: true })(fromItems(readings())))
    const plain = await collect(tumbling(options)(fromItems(readings())))
    expect(kept.map(b => b.toRows())).toEqual(plain.map(b => b.toRows()))
    expect(new Set(kept.map(b => b.numbers('mean')!.buffer)).size).toBe(kept.length)
  })

  it('rejects a reuse option that is not a boolean', () => {
    expect(() => tumbling({ ...options, reuse: 1 as unknown as boolean })).toThrow(/"reuse" must be true or false/)
  })
})
