import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { fromStdin, lines, pipe } from '../../src/index.js'
import { collect, linesOf, within } from '../helpers.js'

describe('fromStdin({ stream })', () => {
  it('yields the chunks of the injected stream as Buffers until it ends', async () => {
    const stream = new PassThrough()
    stream.write('a\nb')
    stream.end('c\n')
    const chunks = await collect(fromStdin({ stream }))
    expect(chunks.every(c => Buffer.isBuffer(c))).toBe(true)
    expect(Buffer.concat(chunks).toString()).toBe('a\nbc\n')
  })

  it('turns string chunks (a stream with an encoding) into Buffers', async () => {
    const stream = new PassThrough()
    stream.setEncoding('utf8')
    stream.end('é\n')
    const chunks = await collect(fromStdin({ stream }))
    expect(chunks.every(c => Buffer.isBuffer(c))).toBe(true)
    expect(Buffer.concat(chunks).toString()).toBe('é\n')
  })

  it('feeds lines()', async () => {
    const stream = new PassThrough()
    const got = collect(pipe(fromStdin({ stream }), lines()))
    stream.write('x,1\ny,')
    stream.end('2\n')
    expect(linesOf(await got)).toEqual(['x,1', 'y,2'])
  })

  it('reads nothing before it is iterated', async () => {
    const stream = new PassThrough()
    stream.write('data\n')
    const source = fromStdin({ stream })
    await new Promise(resolve => setImmediate(resolve))
    expect(stream.readableLength).toBe(5)
    expect(stream.readableFlowing).toBeNull()
    stream.end()
    expect(Buffer.concat(await collect(source)).toString()).toBe('data\n')
  })

  it('ends without error when the signal aborts while waiting, destroying the stream', async () => {
    const stream = new PassThrough()
    const ac = new AbortController()
    const got: Buffer[] = []
    const done = (async () => { for await (const c of fromStdin({ stream, signal: ac.signal })) got.push(c) })()
    stream.write('partial')
    await new Promise(resolve => setTimeout(resolve, 20))
    ac.abort()
    await within(done, 'fromStdin to end after abort')
    expect(Buffer.concat(got).toString()).toBe('partial')
    expect(stream.destroyed).toBe(true)
  })

  it('ends at once when the signal is already aborted', async () => {
    const ac = new AbortController()
    ac.abort()
    const stream = new PassThrough()
    stream.write('ignored')
    expect(await collect(fromStdin({ stream, signal: ac.signal }))).toEqual([])
  })

  it('rejects with the stream error', async () => {
    const stream = new PassThrough()
    const boom = new Error('stream broke')
    const p = collect(fromStdin({ stream }))
    stream.write('a')
    setImmediate(() => stream.destroy(boom))
    await expect(p).rejects.toBe(boom)
  })

  it('destroys the stream when the consumer breaks', async () => {
    const stream = new PassThrough()
    stream.write('a\n')
    for await (const chunk of fromStdin({ stream })) {
      expect(chunk.toString()).toBe('a\n')
      break
    }
    expect(stream.destroyed).toBe(true)
  })
})
