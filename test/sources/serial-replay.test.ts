// recordTo (writing a recording) and fromReplay (playing one back), the fixture format of
// docs/serial.md.
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { fromFile, fromReplay, lines, LineBatch, pipe, recordTo, SinkError, SourceError, type SerialEvent } from '../../src/index.js'
import { activeTimers, collect, fromItems, linesOf, tempDir, within } from '../helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
let n = 0
beforeAll(async () => { dir = await tempDir() })
afterAll(async () => { await dir.remove() })
afterEach(() => { vi.useRealTimers() })

const HEADER = '{"sensorpipe":"recording","version":1,"started":"2026-01-01T00:00:00.000Z","source":"/dev/ttyUSB0","baudRate":9600}'

/** A recording file made of the header and the given entries. */
async function recording (entries: object[], header = HEADER): Promise<string> {
  const path = dir.file(`rec-${n++}.jsonl`)
  await writeFile(path, [header, ...entries.map(e => JSON.stringify(e))].join('\n') + '\n')
  return path
}

const entries = (text: string): unknown[] => text.split('\n').filter(l => l !== '').slice(1).map(l => JSON.parse(l) as unknown)

/**
 * With fake timers: lets file I/O and promises run (without moving the fake clock) until `cond`
 * holds, for up to 5 s of real time (Date is not faked). A count of event-loop turns was not
 * enough when the thread pool that does file I/O is busy (the whole suite running in parallel).
 */
async function settle (cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!cond() && Date.now() < deadline) await new Promise(resolve => setImmediate(resolve))
  if (!cond()) throw new Error(`timed out waiting for ${what}`)
}

describe('recordTo()', () => {
  it('writes a header, then each line with its receive times, and events in their place', async () => {
    const path = dir.file('out.jsonl')
    const recorder = recordTo(path, { source: '/dev/ttyUSB0', baudRate: 115200 })
    async function * batches (): AsyncGenerator<LineBatch> {
      yield LineBatch.of(['a=1', 'a=2'])
      recorder.event({ event: 'disconnected', path: '/dev/ttyUSB0', time: 5, error: 'gone', partial: 'a=' })
      yield LineBatch.of(['é "quoted"'])
    }
    const before = Date.now()
    const stats = await recorder(batches())
    expect(stats).toEqual({ lines: 3, events: 1 })
    const text = await readFile(path, 'utf8')
    const [head] = text.split('\n')
    expect(JSON.parse(head!)).toEqual({ sensorpipe: 'recording', version: 1, started: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), source: '/dev/ttyUSB0', baudRate: 115200 })
    const got = entries(text) as Array<{ t: number, at: number }>
    expect(got).toEqual([
      { t: expect.any(Number), at: expect.any(Number), line: 'a=1' },
      { t: expect.any(Number), at: expect.any(Number), line: 'a=2' },
      { t: expect.any(Number), at: expect.any(Number), event: 'disconnected', error: 'gone', partial: 'a=' },
      { t: expect.any(Number), at: expect.any(Number), line: 'é "quoted"' }
    ])
    for (const e of got) {
      expect(e.t).toBeGreaterThanOrEqual(0)
      expect(e.at).toBeGreaterThanOrEqual(before)
    }
    expect(got.map(e => e.t)).toEqual([...got.map(e => e.t)].sort((x, y) => x - y))
  })

  it('stores a line that is not valid UTF-8 as base64, and replays its exact bytes', async () => {
    const path = dir.file('bytes.jsonl')
    const raw = Buffer.from([0x41, 0xff, 0xfe, 0x42, 0x0a, 0x43, 0x0a])
    await recordTo(path, { source: 'stdin' })(pipe(fromItems([raw]), lines()))
    expect(entries(await readFile(path, 'utf8'))).toEqual([
      { t: expect.any(Number), at: expect.any(Number), base64: Buffer.from([0x41, 0xff, 0xfe, 0x42]).toString('base64') },
      { t: expect.any(Number), at: expect.any(Number), line: 'C' }
    ])
    expect(Buffer.concat(await collect(fromReplay(path, { maxSpeed: true })))).toEqual(raw)
  })

  it('fails with a SinkError naming the file when it cannot be created, and reads nothing', async () => {
    let pulled = false
    async function * src (): AsyncGenerator<LineBatch> { pulled = true; yield LineBatch.of(['x']) }
    const err = await recordTo(dir.file('no/such/dir/out.jsonl'), { source: 'stdin' })(src()).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SinkError)
    expect((err as Error).message).toContain('cannot open')
    expect(pulled).toBe(false)
  })

  it('validates its options when built', () => {
    expect(() => recordTo('', { source: 'x' })).toThrow(TypeError)
    expect(() => recordTo('x', {} as never)).toThrow('"source"')
  })
})

describe('fromReplay()', () => {
  it('gives back what was recorded from a file, line for line', async () => {
    const src = dir.file('orig.csv')
    const text = Array.from({ length: 500 }, (_, i) => `${1000 + i},dev-${i % 3},${i / 10}`).join('\r\n') + '\r\n'
    await writeFile(src, text)
    const rec = dir.file('orig.jsonl')
    await recordTo(rec, { source: src })(pipe(fromFile(src, { chunkBytes: 100 }), lines()))
    const replay = fromReplay(rec, { maxSpeed: true })
    expect(linesOf(await collect(pipe(replay, lines())))).toEqual(text.trimEnd().split('\r\n'))
    expect(replay.stats).toEqual({ lines: 500, events: 0, skipped: 0, loops: 0 })
  })

  it('plays at the recorded pace, from the first line', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const path = await recording([{ t: 500, at: 0, line: 'a' }, { t: 600, at: 0, line: 'b' }, { t: 600, at: 0, line: 'c' }, { t: 900, at: 0, line: 'd' }])
    const got: Array<[number, string]> = []
    const t0 = performance.now()
    const done = (async () => { for await (const c of fromReplay(path)) got.push([performance.now() - t0, c.toString()]) })()
    await settle(() => got.length === 1, 'the first line')
    await vi.advanceTimersByTimeAsync(99)
    expect(got).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await settle(() => got.length === 2, 'the next lines')
    await vi.advanceTimersByTimeAsync(300)
    await done
    expect(got).toEqual([[0, 'a\n'], [100, 'b\nc\n'], [400, 'd\n']])
  })

  it('plays speed times faster, and shortens silences to maxGapMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const path = await recording([{ t: 0, at: 0, line: 'a' }, { t: 200, at: 0, line: 'b' }, { t: 60_200, at: 0, line: 'c' }])
    const got: Array<[number, string]> = []
    const t0 = performance.now()
    const done = (async () => { for await (const c of fromReplay(path, { speed: 2, maxGapMs: 1000 })) got.push([performance.now() - t0, c.toString()]) })()
    await settle(() => got.length === 1, 'the first line')
    await vi.advanceTimersByTimeAsync(100)
    await settle(() => got.length === 2, 'the second line')
    await vi.advanceTimersByTimeAsync(499)
    expect(got).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    await done
    expect(got).toEqual([[0, 'a\n'], [100, 'b\n'], [600, 'c\n']]) // 200 / 2; then 60 s capped to 1 s, / 2
  })

  it('with maxSpeed waits for nothing and hands lines on in chunks', async () => {
    const path = await recording(Array.from({ length: 100 }, (_, i) => ({ t: i * 1000, at: 0, line: `l${i}` })))
    const before = Date.now()
    const chunks = await collect(fromReplay(path, { maxSpeed: true }))
    expect(Date.now() - before).toBeLessThan(5000) // 99 s of recording
    expect(chunks).toHaveLength(1)
    expect(chunks[0]!.toString()).toBe(Array.from({ length: 100 }, (_, i) => `l${i}\n`).join(''))
  })

  it('loops until the consumer stops, counting the passes', async () => {
    const path = await recording([{ t: 0, at: 0, line: 'x' }, { t: 1, at: 0, line: 'y' }])
    const replay = fromReplay(path, { maxSpeed: true, loop: true })
    let text = ''
    for await (const c of replay) {
      text += c.toString()
      if (text.length >= 12) break
    }
    expect(text).toBe('x\ny\nx\ny\nx\ny\n')
    expect(replay.stats.loops).toBe(2)
  })

  it('gives the recorded events to onEvent, in their place among the lines', async () => {
    const path = await recording([
      { t: 0, at: 1000, event: 'connected' },
      { t: 1, at: 1001, line: 'a' },
      { t: 2, at: 1002, event: 'disconnected', error: 'gone', partial: 'b' },
      { t: 3, at: 1003, event: 'reconnected', attempts: 2, downtimeMs: 1 },
      { t: 4, at: 1004, line: 'c' }
    ])
    const order: string[] = []
    const events: SerialEvent[] = []
    for await (const c of fromReplay(path, { maxSpeed: true, onEvent: e => { events.push(e); order.push(e.event) } })) order.push(c.toString())
    expect(order).toEqual(['connected', 'a\n', 'disconnected', 'reconnected', 'c\n'])
    expect(events[1]).toEqual({ event: 'disconnected', path: '/dev/ttyUSB0', time: 1002, error: 'gone', partial: 'b' })
  })

  it('skips and counts entries that are not valid (a recording cut off mid-entry)', async () => {
    const path = dir.file('cut.jsonl')
    await writeFile(path, `${HEADER}\n{"t":0,"at":0,"line":"a"}\n{"t":1,"at":0,"li\nnot json\n{"t":"x","line":"b"}\n{"t":2,"event":"exploded"}\n\n{"t":3,"at":0,"line":"c"}\n`)
    const replay = fromReplay(path, { maxSpeed: true })
    expect(Buffer.concat(await collect(replay)).toString()).toBe('a\nc\n')
    expect(replay.stats.skipped).toBe(4)
  })

  it('rejects the first next() with SourceError ERR_REPLAY_FORMAT for a file that is not a recording', async () => {
    const cases: Array<[string, string]> = [
      ['ts,value\n1,2\n', 'is not a sensorpipe recording'],
      ['{"sensorpipe":"recording","version":7}\n', 'is a version 7 recording; this sensorpipe reads version 1'],
      ['', 'is empty: not a sensorpipe recording']
    ]
    for (const [text, message] of cases) {
      const path = dir.file(`bad-${n++}.jsonl`)
      await writeFile(path, text)
      const err = await collect(fromReplay(path)).then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(SourceError)
      expect(err).toMatchObject({ code: 'ERR_REPLAY_FORMAT', path })
      expect((err as Error).message).toBe(`${path} ${message}${message.startsWith('is not') ? ' (its first line should be {"sensorpipe":"recording","version":1,...})' : ''}`)
    }
  })

  it('opens nothing before the first next(): a missing file is an error only then', async () => {
    const replay = fromReplay(dir.file('missing.jsonl'))
    await expect(collect(replay)).rejects.toMatchObject({ code: 'ERR_SOURCE_OPEN' })
  })

  it('ends on abort while waiting for the next line, leaving no timer', async () => {
    const path = await recording([{ t: 0, at: 0, line: 'a' }, { t: 60_000, at: 0, line: 'b' }])
    const before = activeTimers()
    const ac = new AbortController()
    const got: string[] = []
    const done = (async () => { for await (const c of fromReplay(path, { signal: ac.signal })) got.push(c.toString()) })()
    await within((async () => { while (got.length === 0) await new Promise(resolve => setTimeout(resolve, 5)) })(), 'the first line')
    ac.abort()
    await within(done, 'the replay to end')
    expect(got).toEqual(['a\n'])
    expect(activeTimers()).toBeLessThanOrEqual(before)
  })

  it('validates its options when built', () => {
    expect(() => fromReplay('')).toThrow(TypeError)
    expect(() => fromReplay('x', { speed: 0 })).toThrow('"speed"')
    expect(() => fromReplay('x', { speed: Number.NaN })).toThrow('"speed"')
    expect(() => fromReplay('x', { maxGapMs: -5 })).toThrow('"maxGapMs"')
    expect(() => fromReplay('x', { loop: 'yes' as never })).toThrow('"loop"')
    expect(() => fromReplay('x', { onEvent: 1 as never })).toThrow('"onEvent"')
  })
})
