import { readFile } from 'node:fs/promises'
import { PassThrough, Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SinkError, writeTo } from '../../src/index.js'
import { canListFds, CountingSource, fromItems, holdsOpen, tempDir } from '../helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { dir = await tempDir() })
afterAll(async () => { await dir.remove() })

describe('writeTo(path)', () => {
  it('writes strings and Buffers to a file, returns the byte count and closes the file', async () => {
    const path = dir.file('out.txt')
    const result = await writeTo(path)(fromItems<string | Uint8Array>(['a,b\n', Buffer.from('1,€\n'), new Uint8Array([0x32, 0x0a])]))
    expect(await readFile(path, 'utf8')).toBe('a,b\n1,€\n2\n')
    expect(result).toEqual({ bytes: 4 + 6 + 2, closed: false })
    if (canListFds) expect(holdsOpen(path)).toBe(false)
  })

  it('truncates an existing file', async () => {
    const path = dir.file('trunc.txt')
    await writeTo(path)(fromItems(['a much longer first content\n']))
    await writeTo(path)(fromItems(['short\n']))
    expect(await readFile(path, 'utf8')).toBe('short\n')
  })

  it('creates an empty file for an empty stream', async () => {
    const path = dir.file('empty.txt')
    expect(await writeTo(path)(fromItems([]))).toEqual({ bytes: 0, closed: false })
    expect(await readFile(path, 'utf8')).toBe('')
  })

  it('rejects with SinkError ERR_SINK_OPEN for a path in a missing directory, without pulling', async () => {
    const src = new CountingSource(i => `line ${i}\n`)
    const err = await writeTo(dir.file('missing/dir/out.txt'))(src).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SinkError)
    expect(err).toMatchObject({ name: 'SinkError', code: 'ERR_SINK_OPEN' })
    expect((err as Error).message).toMatch(/no such directory/)
    expect(src.pulls).toBe(0)
  })

  it('rejects with the source error and still closes the file', async () => {
    const path = dir.file('failing.txt')
    const src = new CountingSource(i => `line ${i}\n`, Infinity, 3)
    await expect(writeTo(path)(src)).rejects.toBe(src.error)
    expect(src.finallyRan).toBe(true)
    expect(await readFile(path, 'utf8')).toBe('line 0\nline 1\nline 2\n')
    if (canListFds) expect(holdsOpen(path)).toBe(false)
  })

  it('throws a TypeError for a target that is neither a path nor a writable', () => {
    expect(() => writeTo(42 as unknown as string)).toThrow(TypeError)
    expect(() => writeTo(null as unknown as string)).toThrow(/"target"/)
  })
})

describe('writeTo(stream)', () => {
  it('honours backpressure: waits for drain before pulling the next chunk, and keeps the order', async () => {
    const written: string[] = []
    const slow = new Writable({
      highWaterMark: 4,
      write (chunk: Buffer, _enc, cb) { setTimeout(() => { written.push(chunk.toString()); cb() }, 2) }
    })
    const pulledWhenWritten: number[] = []
    async function * src (): AsyncGenerator<string> {
      for (let i = 0; i < 30; i++) {
        pulledWhenWritten.push(written.length)
        yield `chunk-${i}\n`
      }
    }
    const result = await writeTo(slow)(src())
    expect(written).toEqual(Array.from({ length: 30 }, (_, i) => `chunk-${i}\n`))
    // each chunk is larger than the highWaterMark, so the next one is pulled only after drain
    expect(pulledWhenWritten).toEqual(Array.from({ length: 30 }, (_, i) => i))
    expect(result).toEqual({ bytes: written.join('').length, closed: false })
  })

  it('does not end the stream it was given', async () => {
    const pass = new PassThrough()
    let data = ''
    pass.on('data', (b: Buffer) => { data += b.toString() })
    await writeTo(pass)(fromItems(['a', 'b']))
    expect(pass.writableEnded).toBe(false)
    expect(data).toBe('ab')
  })

  it('resolves with closed: true when the reader went away (EPIPE), and stops pulling', async () => {
    const epipe = (): Error => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
    const gone = new Writable({ write (_chunk, _enc, cb) { cb(epipe()) } })
    const src = new CountingSource(i => `line ${i}\n`, 100_000)
    const result = await writeTo(gone)(src)
    expect(result.closed).toBe(true)
    expect(src.finallyRan).toBe(true)
    expect(src.pulls).toBeLessThan(100_000)
    // a late error after writeTo stopped must not be unhandled
    gone.emit('error', epipe())
  })

  it('rejects with SinkError ERR_SINK_WRITE for other write errors, and closes the source', async () => {
    const broken = new Writable({ write (_chunk, _enc, cb) { cb(Object.assign(new Error('disk full'), { code: 'ENOSPC' })) } })
    const src = new CountingSource(i => `line ${i}\n`, 100_000)
    const err = await writeTo(broken)(src).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SinkError)
    expect(err).toMatchObject({ code: 'ERR_SINK_WRITE' })
    expect((err as Error).message).toMatch(/no space left on device/)
    expect(src.finallyRan).toBe(true)
  })
})
