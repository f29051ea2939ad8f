import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { createWriteStream, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromFile, lines, pipe, SourceError } from '../../src/index.js'
import { activeTimers, canListFds, collect, holdsOpen, linesOf, tempDir, waitUntil, within } from '../helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { dir = await tempDir() })
afterAll(async () => { await dir.remove() })

/** Drives a followed file in the background, collecting its lines as they arrive. */
function follow (path: string, options: { onTruncate?: (info: { path: string, position: number, size: number }) => void } = {}): { got: string[], ac: AbortController, done: Promise<void>, finished: () => boolean } {
  const ac = new AbortController()
  const got: string[] = []
  let ended = false
  const done = (async () => {
    for await (const batch of pipe(fromFile(path, { follow: true, pollMs: 20, signal: ac.signal, ...options }), lines())) got.push(...batch)
    ended = true
  })()
  return { got, ac, done, finished: () => ended }
}

describe('fromFile()', () => {
  it('reads a file as chunks of chunkBytes', async () => {
    const path = dir.file('chunks.txt')
    await writeFile(path, 'abcdefghij')
    const chunks = await collect(fromFile(path, { chunkBytes: 4 }))
    expect(chunks.map(c => c.toString())).toEqual(['abcd', 'efgh', 'ij'])
    expect(chunks.every(c => Buffer.isBuffer(c))).toBe(true)
  })

  it('starts a file with reads of firstChunkBytes, doubled up to chunkBytes (by default all chunkBytes)', async () => {
    const path = dir.file('ramp.txt')
    const text = 'x'.repeat(100_000)
    await writeFile(path, text)
    const sizes = (chunks: Buffer[]): number[] => chunks.map(c => c.length)
    const ramped = await collect(fromFile(path, { chunkBytes: 32768, firstChunkBytes: 4096 }))
    expect(sizes(ramped)).toEqual([4096, 8192, 16384, 32768, 32768, 100_000 - 4096 - 8192 - 16384 - 32768 - 32768])
    expect(Buffer.concat(ramped).toString()).toBe(text)
    expect(sizes(await collect(fromFile(path, { chunkBytes: 65536 })))).toEqual([65536, 100_000 - 65536])
    expect(sizes(await collect(fromFile(path, { chunkBytes: 4 * 1024, firstChunkBytes: 65536 }))).every(n => n <= 4096)).toBe(true)
  })

  it('gives the lines of a file through lines(), whatever the chunk size', async () => {
    const path = dir.file('lines.txt')
    const text = Array.from({ length: 50 }, (_, i) => `${i},sensor-é,${i / 10}`).join('\r\n') + '\n'
    await writeFile(path, text)
    for (const chunkBytes of [1, 3, 7, 64, 1 << 20]) {
      const got = linesOf(await collect(pipe(fromFile(path, { chunkBytes }), lines())))
      expect(got, `chunkBytes ${chunkBytes}`).toEqual(text.split('\r\n').map(l => l.replace('\n', '')))
    }
  })

  it('gives nothing for an empty file', async () => {
    const path = dir.file('empty.txt')
    await writeFile(path, '')
    expect(await collect(fromFile(path))).toEqual([])
  })

  it("rejects on the first next() with SourceError ERR_SOURCE_OPEN 'no such file' for a missing file", async () => {
    const path = dir.file('nope.txt')
    const source = fromFile(path) // building it opens nothing
    const err = await collect(source).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SourceError)
    expect(err).toMatchObject({ name: 'SourceError', code: 'ERR_SOURCE_OPEN', path })
    expect((err as Error).message).toContain('no such file')
  })

  it('rejects with a SourceError for a directory', async () => {
    const sub = dir.file('a-dir')
    await mkdir(sub)
    await expect(collect(fromFile(sub))).rejects.toBeInstanceOf(SourceError)
  })

  it('closes the file after a break', async () => {
    const path = dir.file('break.txt')
    await writeFile(path, 'x'.repeat(100))
    for await (const chunk of fromFile(path, { chunkBytes: 10 })) {
      expect(chunk.length).toBe(10)
      if (canListFds) expect(holdsOpen(path)).toBe(true)
      break
    }
    if (canListFds) expect(holdsOpen(path)).toBe(false)
  })

  it('reads on demand, at most one chunk ahead of the consumer', async () => {
    const path = dir.file('demand.txt')
    await writeFile(path, 'abcdefgh')
    const it = fromFile(path, { chunkBytes: 2 })[Symbol.asyncIterator]()
    expect((await it.next()).value.toString()).toBe('ab')
    await new Promise(resolve => setTimeout(resolve, 20)) // let the read-ahead finish
    await writeFile(path, 'abcdXYZW') // the source has read at most 'cd' beyond its first chunk
    expect((await it.next()).value.toString()).toBe('cd')
    expect((await it.next()).value.toString()).toBe('XY')
    await it.return?.()
  })

  it('lets timers run while it reads a regular file synchronously', async () => {
    // 10 MiB in 256 KiB chunks, each taking the consumer 1 ms: a turn of the event loop every
    // 8 chunks lets a 1 ms interval fire about 5 times before the end.
    const path = dir.file('big.bin')
    await writeFile(path, Buffer.alloc(10 << 20, 120))
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 1)
    let bytes = 0
    let ticksBeforeEnd = 0
    try {
      for await (const chunk of fromFile(path)) {
        bytes += chunk.length
        const until = performance.now() + 1
        while (performance.now() < until) { /* a busy consumer */ }
        ticksBeforeEnd = ticks
      }
    } finally { clearInterval(timer) }
    expect(bytes).toBe(10 << 20)
    expect(ticksBeforeEnd).toBeGreaterThanOrEqual(3)
  })

  it('reads a FIFO as data arrives, without blocking the process (only regular files are read synchronously)', async () => {
    const fifo = dir.file('fifo')
    execFileSync('mkfifo', [fifo])
    const it = fromFile(fifo)[Symbol.asyncIterator]()
    const first = it.next()
    // The writer is in this process: a blocking read of the FIFO would never let it write.
    const w = createWriteStream(fifo)
    w.write('a\n')
    expect((await first).value.toString()).toBe('a\n')
    const second = it.next()
    w.end('b\n')
    expect((await second).value.toString()).toBe('b\n')
    expect((await it.next()).done).toBe(true)
  }, 10_000)

  it('ends at once, without opening anything, when the signal is already aborted', async () => {
    const ac = new AbortController()
    ac.abort()
    expect(await collect(fromFile(dir.file('does-not-exist'), { signal: ac.signal }))).toEqual([])
  })

  it('throws TypeErrors naming the option at build time', () => {
    expect(() => fromFile('')).toThrow(/"path"/)
    expect(() => fromFile('x', { chunkBytes: 0 })).toThrow(/"chunkBytes"/)
    expect(() => fromFile('x', { firstChunkBytes: 1.5 })).toThrow(/"firstChunkBytes"/)
    expect(() => fromFile('x', { pollMs: -1 })).toThrow(/"pollMs"/)
    expect(() => fromFile('x', { follow: 'yes' as unknown as boolean })).toThrow(/"follow"/)
  })
})

describe('fromFile({ follow: true })', () => {
  it('delivers lines appended after the start, and ends on abort, closing the file', async () => {
    const path = dir.file('follow.log')
    await writeFile(path, 'first\n')
    const timersBefore = activeTimers()
    const f = follow(path)
    await waitUntil(() => f.got.length === 1, 'the first line')
    await appendFile(path, 'second\nthi')
    await waitUntil(() => f.got.length === 2, 'the appended line')
    await appendFile(path, 'rd\n')
    await waitUntil(() => f.got.length === 3, 'the line completed by a later append')
    expect(f.got).toEqual(['first', 'second', 'third'])
    expect(f.finished()).toBe(false)
    f.ac.abort()
    await within(f.done, 'the followed source to end after abort')
    if (canListFds) expect(holdsOpen(path)).toBe(false)
    await waitUntil(() => activeTimers() <= timersBefore, 'the poll timer to be cleared')
  })

  it('reads from the start again after the file is truncated, and calls onTruncate', async () => {
    const path = dir.file('truncate.log')
    await writeFile(path, 'line-1\nline-2\n')
    const truncations: Array<{ path: string, position: number, size: number }> = []
    const f = follow(path, { onTruncate: info => truncations.push(info) })
    await waitUntil(() => f.got.length === 2, 'the first two lines')
    writeFileSync(path, 'x\n')
    await waitUntil(() => f.got.length === 3, 'the line written after truncation')
    expect(f.got).toEqual(['line-1', 'line-2', 'x'])
    expect(truncations).toHaveLength(1)
    expect(truncations[0]!.path).toBe(path)
    expect(truncations[0]!.position).toBe(14)
    expect(truncations[0]!.size).toBeLessThanOrEqual(2)
    f.ac.abort()
    await within(f.done, 'the followed source to end after abort')
  })

  it('follows a rotated file: a new file at the path is read from its start', async () => {
    const path = dir.file('rotate.log')
    await writeFile(path, 'old-1\n')
    const truncations: Array<{ path: string, position: number, size: number }> = []
    const f = follow(path, { onTruncate: info => truncations.push(info) })
    await waitUntil(() => f.got.length === 1, 'the first line')
    await rename(path, path + '.1')
    await writeFile(path, 'new-1\n')
    await waitUntil(() => f.got.length === 2, 'the first line of the new file')
    expect(f.got).toEqual(['old-1', 'new-1'])
    expect(truncations).toEqual([{ path, position: 6, size: -1 }])
    f.ac.abort()
    await within(f.done, 'the followed source to end after abort')
    if (canListFds) {
      expect(holdsOpen(path)).toBe(false)
      expect(holdsOpen(path + '.1')).toBe(false)
    }
  })

  it('an onTruncate callback that throws rejects next() and closes the file', async () => {
    const path = dir.file('truncate-throws.log')
    await writeFile(path, 'long first line\n')
    const boom = new Error('onTruncate failed')
    const it = fromFile(path, { follow: true, pollMs: 20, onTruncate: () => { throw boom } })[Symbol.asyncIterator]()
    expect((await it.next()).value.toString()).toBe('long first line\n')
    const pending = it.next()
    await new Promise(resolve => setTimeout(resolve, 30))
    writeFileSync(path, 'x\n')
    await expect(within(pending, 'next() to reject')).rejects.toBe(boom)
    if (canListFds) expect(holdsOpen(path)).toBe(false)
  })

  it('closes the file when the consumer breaks while following', async () => {
    const path = dir.file('follow-break.log')
    await writeFile(path, 'a\n')
    const ac = new AbortController()
    const done = (async () => {
      for await (const batch of pipe(fromFile(path, { follow: true, pollMs: 20, signal: ac.signal }), lines())) {
        if (batch.toArray().includes('stop')) break
      }
    })()
    await new Promise(resolve => setTimeout(resolve, 50))
    await appendFile(path, 'stop\n')
    await within(done, 'the loop to break')
    if (canListFds) expect(holdsOpen(path)).toBe(false)
  })
})
