// The bounded queue between fromSerial's reader and its consumer (src/sources/buffer.ts).
import { describe, expect, it } from 'vitest'
import { ChunkQueue, MAX_PENDING_EVENTS } from '../../src/sources/buffer.js'

function queue (maxBytes: number, overflow: 'block' | 'drop-oldest' | 'drop-newest'): { q: ChunkQueue<string>, dropped: { lines: number, bytes: number, events: number } } {
  const dropped = { lines: 0, bytes: 0, events: 0 }
  const q = new ChunkQueue<string>(maxBytes, overflow, (lines, bytes, events) => {
    dropped.lines += lines
    dropped.bytes += bytes
    dropped.events += events
  })
  return { q, dropped }
}

const b = (s: string): Buffer => Buffer.from(s)

describe('ChunkQueue', () => {
  it('hands chunks waiting together over as one, up to an event', async () => {
    const { q } = queue(1024, 'block')
    q.push(b('a\n'))
    q.push(b('b\nc\n'))
    q.pushEvent('disconnected')
    q.push(b('d\n'))
    q.end()
    const got: string[] = []
    for (let it = await q.take(); it !== undefined; it = await q.take()) got.push(it.event ?? it.chunk!.toString())
    expect(got).toEqual(['a\nb\nc\n', 'disconnected', 'd\n'])
  })

  it('take() waits for the next item', async () => {
    const { q } = queue(1024, 'block')
    const next = q.take()
    q.push(b('x\n'))
    expect((await next)?.chunk?.toString()).toBe('x\n')
  })

  it('block: accepts past the bound, and whenSpace() waits until the consumer takes', async () => {
    const { q, dropped } = queue(4, 'block')
    q.push(b('abc\n'))
    q.push(b('def\n'))
    expect(q.bytes).toBe(8)
    let spaced = false
    const space = q.whenSpace().then(() => { spaced = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(spaced).toBe(false)
    await q.take()
    await space
    expect(dropped).toEqual({ lines: 0, bytes: 0, events: 0 })
  })

  it('drop-newest: drops the chunk that does not fit, counting its lines and bytes', async () => {
    const { q, dropped } = queue(6, 'drop-newest')
    q.push(b('a\nb\n'))
    q.push(b('c\nd\n'))
    q.push(b('e\n'))
    q.end()
    expect((await q.take())?.chunk?.toString()).toBe('a\nb\ne\n')
    expect(dropped).toEqual({ lines: 2, bytes: 4, events: 0 })
  })

  it('drop-oldest: drops the oldest chunks until the new one fits; events stay', async () => {
    const { q, dropped } = queue(6, 'drop-oldest')
    q.push(b('a\n'))
    q.pushEvent('e1')
    q.push(b('b\nc\n'))
    q.push(b('d\ne\nf\n'))
    q.end()
    const got: string[] = []
    for (let it = await q.take(); it !== undefined; it = await q.take()) got.push(it.event ?? it.chunk!.toString())
    expect(got).toEqual(['e1', 'd\ne\nf\n'])
    expect(dropped).toEqual({ lines: 3, bytes: 6, events: 0 })
  })

  it(`holds at most ${MAX_PENDING_EVENTS} events, dropping (and counting) the oldest`, async () => {
    const { q, dropped } = queue(1024, 'block')
    for (let i = 0; i < MAX_PENDING_EVENTS + 3; i++) q.pushEvent(`e${i}`)
    q.end()
    const got: string[] = []
    for (let it = await q.take(); it !== undefined; it = await q.take()) got.push(it.event!)
    expect(got).toHaveLength(MAX_PENDING_EVENTS)
    expect(got[0]).toBe('e3')
    expect(dropped.events).toBe(3)
  })

  it('fail(): delivers what is queued, then rejects with the error', async () => {
    const { q } = queue(1024, 'block')
    const err = new Error('gone')
    q.push(b('a\n'))
    q.fail(err)
    expect((await q.take())?.chunk?.toString()).toBe('a\n')
    await expect(q.take()).rejects.toBe(err)
  })

  it('discard(): forgets everything and ends, releasing a waiting reader', async () => {
    const { q } = queue(2, 'block')
    q.push(b('abc\n'))
    const space = q.whenSpace()
    q.discard()
    await space
    expect(await q.take()).toBeUndefined()
  })
})
