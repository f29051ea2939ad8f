import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeEscapes, fromSerial, lines, listSerialPorts, pipe, SerialError, type FromSerialOptions, type SerialEvent } from '../../src/index.js'
import { activeTimers, collect, waitUntil, within } from '../helpers.js'
import { FakeDevice, resetDevices } from './serial-device.js'

let n = 0
let dev: FakeDevice
beforeEach(() => { dev = new FakeDevice(`/dev/ttyFAKE${n++}`) })
afterEach(() => {
  vi.useRealTimers()
  resetDevices()
})

/** A source on `dev` and the events it delivered. */
function open (options: Partial<FromSerialOptions> = {}): { source: ReturnType<typeof fromSerial>, events: SerialEvent[] } {
  const events: SerialEvent[] = []
  const source = fromSerial({ path: dev.path, baudRate: 9600, binding: dev.binding, onEvent: e => events.push(e), reconnectJitter: 0, ...options })
  return { source, events }
}

/** Iterates `pipe(source, lines())` in the background, collecting lines as they come. */
function drain (source: AsyncIterable<Buffer>): { got: string[], done: Promise<void> } {
  const got: string[] = []
  const done = (async () => { for await (const batch of pipe(source, lines())) got.push(...batch) })()
  done.catch(() => {})
  return { got, done }
}

/** With fake timers: lets I/O callbacks and promises run (without moving the clock) until `cond` holds. */
async function settle (cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise(resolve => setImmediate(resolve))
  if (!cond()) throw new Error(`timed out waiting for ${what}`)
}

// Fake timers for time-based tests; setImmediate and nextTick stay real so the mock port works.
const FAKE: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }

const connected = (events: SerialEvent[], count = 1) => () => events.filter(e => e.event === 'connected' || e.event === 'reconnected').length >= count

describe('fromSerial() reading', () => {
  it('gives the lines the device sends, as soon as each LF arrives', async () => {
    const { source, events } = open({ dropFirstLine: false })
    const it = pipe(source, lines())[Symbol.asyncIterator]()
    const first = it.next()
    await waitUntil(connected(events), 'the port to open')
    dev.send('21.5\n')
    expect((await within(first, 'the first line')).value.toArray()).toEqual(['21.5'])
    dev.send('22.0\r\n23.5\n')
    expect((await it.next()).value.toArray()).toEqual(['22.0', '23.5'])
    await it.return?.()
    expect(events.map(e => e.event)).toEqual(['connected'])
    expect(events[0]).toMatchObject({ event: 'connected', path: dev.path })
  })

  it('frames lines split across reads (one byte, then three bytes per read)', async () => {
    for (const maxReadSize of [1, 3]) {
      resetDevices()
      dev = new FakeDevice(`/dev/ttyFAKE${n++}`, { maxReadSize })
      const ac = new AbortController()
      const { source, events } = open({ dropFirstLine: false, signal: ac.signal })
      const { got, done } = drain(source)
      await waitUntil(connected(events), 'the port to open')
      dev.send('ts=1 t=20.5\r\nts=2 t=21\nts=3 ')
      dev.send('t=é\n')
      await waitUntil(() => got.length === 3, `three lines (maxReadSize ${maxReadSize})`)
      expect(got).toEqual(['ts=1 t=20.5', 'ts=2 t=21', 'ts=3 t=é'])
      expect(source.stats.bytes).toBe(Buffer.byteLength('ts=1 t=20.5\r\nts=2 t=21\nts=3 t=é\n'))
      ac.abort()
      await within(done, 'the source to end')
    }
  })

  it('opens with the given line settings and an exclusive lock', async () => {
    const ac = new AbortController()
    const { source, events } = open({ baudRate: 115200, dataBits: 7, parity: 'even', stopBits: 2, rtscts: true, signal: ac.signal })
    const { done } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    expect(dev.opens[0]!.options).toMatchObject({ path: dev.path, baudRate: 115200, dataBits: 7, parity: 'even', stopBits: 2, rtscts: true, lock: true })
    ac.abort()
    await within(done, 'the source to end')
  })

  it('drops the partial first line after opening (attached mid-line) and counts it', async () => {
    const { source, events } = open()
    const { got } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('.5,dev-a\n1000,dev-a,')
    dev.send('20.5\n')
    await waitUntil(() => got.length === 1, 'a line')
    expect(got).toEqual(['1000,dev-a,20.5'])
    expect(source.stats.firstLines).toBe(1)
  })

  it('keeps the first line with dropFirstLine: false', async () => {
    const { source, events } = open({ dropFirstLine: false })
    const { got } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('first\nsecond\n')
    await waitUntil(() => got.length === 2, 'two lines')
    expect(got).toEqual(['first', 'second'])
    expect(source.stats.firstLines).toBe(0)
  })

  it('does not count a first line that starts right at the open (nothing before the LF)', async () => {
    const { source, events } = open()
    const { got } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('\r\nwhole\n')
    await waitUntil(() => got.length === 1, 'a line')
    expect(got).toEqual(['whole'])
    expect(source.stats.firstLines).toBe(0)
  })

  it('hands an over-long line to the framer cut to maxLineBytes + 2, so the framer drops and counts it', async () => {
    const { source, events } = open({ dropFirstLine: false, maxLineBytes: 8 })
    const framer = lines({ maxLineBytes: 8 })
    const got: string[] = []
    const done = (async () => { for await (const b of pipe(source, framer)) got.push(...b) })()
    done.catch(() => {})
    await waitUntil(connected(events), 'the port to open')
    dev.send('ok\n' + 'x'.repeat(5000))
    dev.send('y'.repeat(5000) + '\nafter\n')
    await waitUntil(() => got.length === 2, 'two lines')
    expect(got).toEqual(['ok', 'after'])
    expect(framer.stats.tooLong).toBe(1)
  })
})

describe('fromSerial() writing to the device', () => {
  it('sends init after every open, before reading', async () => {
    const ac = new AbortController()
    const { source, events } = open({ init: decodeEscapes('START\\r\\n', 'init'), reconnectMinMs: 5, signal: ac.signal })
    const { done } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    expect(dev.writes).toEqual(['START\r\n'])
    dev.unplug()
    dev.plug()
    await waitUntil(connected(events, 2), 'the reconnect')
    expect(dev.writes).toEqual(['START\r\n', 'START\r\n'])
    ac.abort()
    await within(done, 'the source to end')
  })

  it('polls: sends the request at once and then every pollEveryMs, and keeps the first reply', async () => {
    vi.useFakeTimers(FAKE)
    const { source, events } = open({ poll: 'READ?\n', pollEveryMs: 1000 })
    const { got } = drain(source)
    await settle(connected(events), 'the port to open')
    await settle(() => dev.writes.length === 1, 'the first poll')
    expect(dev.writes).toEqual(['READ?\n'])
    dev.send('21.5\n')
    await settle(() => got.length === 1, 'the reply')
    expect(got).toEqual(['21.5']) // a polled device speaks only when asked: its first line is whole
    await vi.advanceTimersByTimeAsync(999)
    expect(dev.writes).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(dev.writes).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(3000)
    expect(dev.writes).toEqual(Array(5).fill('READ?\n'))
  })

  it('stops polling when the source ends: no timer is left', async () => {
    const before = activeTimers()
    const { source, events } = open({ poll: 'READ?\n', pollEveryMs: 10 })
    const it = source[Symbol.asyncIterator]()
    const first = it.next()
    await waitUntil(connected(events), 'the port to open')
    await waitUntil(() => dev.writes.length >= 2, 'two polls')
    dev.send('reply\n')
    await first
    await it.return?.()
    expect(activeTimers()).toBeLessThanOrEqual(before) // (a timer of an earlier test may have ended meanwhile)
    const count = dev.writes.length
    await new Promise(resolve => setTimeout(resolve, 40))
    expect(dev.writes.length).toBe(count)
  })
})

describe('fromSerial() reconnecting', () => {
  it('drops the line a disconnect cut, reconnects, and goes on with the lines after it', async () => {
    const { source, events } = open({ dropFirstLine: false, reconnectMinMs: 5 })
    const { got } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('1\n2\n3')
    await waitUntil(() => got.length === 2, 'two lines')
    await waitUntil(() => source.stats.bytes === 5, 'the partial line to be read')
    dev.unplug()
    await waitUntil(() => events.some(e => e.event === 'disconnected'), 'the disconnect')
    dev.plug()
    await waitUntil(connected(events, 2), 'the reconnect')
    dev.send('4\n5\n')
    await waitUntil(() => got.length === 4, 'four lines')
    expect(got).toEqual(['1', '2', '4', '5']) // never '34'
    expect(source.stats).toMatchObject({ opens: 2, disconnects: 1, reconnects: 1, cutLines: 1 })
    expect(events.map(e => e.event)).toEqual(['connected', 'disconnected', 'reconnected'])
    expect(events[1]).toMatchObject({ event: 'disconnected', path: dev.path, error: 'bad file descriptor', partial: '3' })
    expect(events[2]).toMatchObject({ event: 'reconnected', path: dev.path, attempts: 0 })
  })

  it('drops the partial first line after a reconnect too', async () => {
    const { source, events } = open({ reconnectMinMs: 5 })
    const { got } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('x\n1\n')
    await waitUntil(() => got.length === 1, 'a line')
    dev.unplug()
    dev.plug()
    await waitUntil(connected(events, 2), 'the reconnect')
    dev.send('ne 2\n3\n')
    await waitUntil(() => got.length === 2, 'two lines')
    expect(got).toEqual(['1', '3'])
    expect(source.stats.firstLines).toBe(2)
  })

  it('retries the open with exponential backoff from reconnectMinMs up to reconnectMaxMs', async () => {
    vi.useFakeTimers(FAKE)
    const { source, events } = open({ reconnectMinMs: 100, reconnectMaxMs: 400 })
    drain(source)
    await settle(connected(events), 'the port to open')
    const t0 = Date.now()
    dev.unplug()
    await settle(() => events.some(e => e.event === 'disconnected'), 'the disconnect')
    await vi.advanceTimersByTimeAsync(99)
    expect(dev.opens).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1 + 200 + 400 + 400 + 400)
    // tries at 100, 300 (+200), 700 (+400), 1100 (+400, the maximum), 1500 ms
    expect(dev.opens.slice(1).map(o => [o.at - t0, o.ok])).toEqual([[100, false], [300, false], [700, false], [1100, false], [1500, false]])
    dev.plug()
    await vi.advanceTimersByTimeAsync(400)
    await settle(connected(events, 2), 'the reconnect')
    expect(events.at(-1)).toMatchObject({ event: 'reconnected', attempts: 5, downtimeMs: 1900 })
    expect(source.stats).toMatchObject({ disconnects: 1, reconnects: 1, failedOpens: 5 })
  })

  it('varies each wait by up to reconnectJitter', async () => {
    vi.useFakeTimers(FAKE)
    vi.spyOn(Math, 'random').mockReturnValue(1) // the longest wait: base * (1 + jitter)
    const { source, events } = open({ reconnectMinMs: 100, reconnectJitter: 0.5 })
    drain(source)
    await settle(connected(events), 'the port to open')
    const t0 = Date.now()
    dev.unplug()
    await settle(() => events.some(e => e.event === 'disconnected'), 'the disconnect')
    await vi.advanceTimersByTimeAsync(149)
    expect(dev.opens).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(dev.opens.slice(1).map(o => o.at - t0)).toEqual([150])
    vi.restoreAllMocks()
  })

  it('gives up after reconnectAttempts failed opens with a SerialError (disconnected: true), after the lines read before', async () => {
    const { source, events } = open({ dropFirstLine: false, reconnectMinMs: 1, reconnectMaxMs: 2, reconnectAttempts: 3 })
    const { got, done } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('a\nb\n')
    await waitUntil(() => source.stats.bytes === 4, 'the lines to be read')
    dev.unplug()
    const err = await within(done.then(() => undefined, (e: unknown) => e), 'the source to give up')
    expect(got).toEqual(['a', 'b'])
    expect(err).toBeInstanceOf(SerialError)
    expect(err).toMatchObject({ name: 'SerialError', code: 'ERR_SERIAL_DISCONNECTED', disconnected: true, path: dev.path })
    expect((err as Error).message).toBe(`${dev.path} disconnected (bad file descriptor) and did not come back after 3 attempts (cannot open ${dev.path}: no such port (see: sensorpipe list))`)
    expect(dev.opens).toHaveLength(4)
    expect(dev.isOpen).toBe(false)
  })

  it('with reconnectAttempts: 0 fails at the first disconnect', async () => {
    const { source, events } = open({ reconnectAttempts: 0 })
    const { done } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.unplug()
    await expect(done).rejects.toThrow(`${dev.path} disconnected (bad file descriptor) and reconnecting is off`)
    expect(dev.opens).toHaveLength(1)
  })
})

describe('fromSerial() buffering for a slow consumer', () => {
  const line = (i: number): string => `line-${String(i).padStart(4, '0')}\n` // 10 bytes

  /**
   * Takes line 1, lets the reader queue lines 2..10 (one read each) while nobody pulls, then
   * pulls everything, and line 11 sent after that.
   */
  async function fillWhileIdle (overflow: FromSerialOptions['overflow']): Promise<{ taken: number[], source: ReturnType<typeof fromSerial> }> {
    const { source, events } = open({ dropFirstLine: false, maxBufferBytes: 64, overflow })
    const it = source[Symbol.asyncIterator]()
    const first = it.next()
    await waitUntil(connected(events), 'the port to open')
    dev.send(line(1))
    let text: string = (await first).value.toString()
    for (let i = 2; i <= 10; i++) {
      dev.send(line(i))
      if (overflow === 'block' && i > 8) continue // the reader has stopped reading
      await waitUntil(() => source.stats.bytes === i * 10, `line ${i} to be read`)
    }
    if (overflow === 'block') {
      await new Promise(resolve => setTimeout(resolve, 20))
      expect(source.stats.bytes).toBe(80) // lines 2..8 queued (70 bytes >= 64): reading paused
    }
    text += (await within(it.next(), 'the queued lines')).value.toString()
    dev.send(line(11))
    while (!text.endsWith(line(11))) text += (await within(it.next(), 'the next chunk')).value.toString()
    await it.return?.()
    return { taken: text.trim().split('\n').map(l => Number(l.slice(5))), source }
  }

  it('block (the default): stops reading at the bound and loses nothing', async () => {
    const { taken, source } = await fillWhileIdle('block')
    expect(taken).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(source.stats).toMatchObject({ overflowLines: 0, overflowBytes: 0 })
  })

  it('drop-newest: keeps the queued lines, drops those that do not fit, and counts them', async () => {
    const { taken, source } = await fillWhileIdle('drop-newest')
    expect(taken).toEqual([1, 2, 3, 4, 5, 6, 7, 11]) // 64 bytes hold lines 2..7
    expect(source.stats).toMatchObject({ overflowLines: 3, overflowBytes: 30 })
  })

  it('drop-oldest: drops the oldest queued lines to make room, and counts them', async () => {
    const { taken, source } = await fillWhileIdle('drop-oldest')
    expect(taken).toEqual([1, 5, 6, 7, 8, 9, 10, 11])
    expect(source.stats).toMatchObject({ overflowLines: 3, overflowBytes: 30 })
  })
})

describe('fromSerial() cleanup and errors', () => {
  it('opens nothing until the first next()', async () => {
    const ac = new AbortController()
    const { source } = open({ signal: ac.signal })
    await new Promise(resolve => setImmediate(resolve))
    expect(dev.opens).toHaveLength(0)
    const it = source[Symbol.asyncIterator]()
    await new Promise(resolve => setImmediate(resolve))
    expect(dev.opens).toHaveLength(0)
    const first = it.next()
    await waitUntil(() => dev.opens.length === 1, 'the open')
    ac.abort()
    expect((await within(first, 'the end')).done).toBe(true)
  })

  it('closes the port on break', async () => {
    const { source, events } = open({ dropFirstLine: false })
    const done = (async () => {
      for await (const batch of pipe(source, lines())) {
        expect(batch.toArray()).toEqual(['x'])
        break
      }
    })()
    await waitUntil(connected(events), 'the port to open')
    expect(dev.isOpen).toBe(true)
    dev.send('x\n')
    await within(done, 'the loop to end')
    expect(dev.isOpen).toBe(false)
  })

  it('closes the port when a later stage throws', async () => {
    const { source, events } = open({ dropFirstLine: false })
    const done = (async () => {
      for await (const batch of pipe(source, lines())) throw new Error(`bad ${batch.at(0)}`)
    })()
    await waitUntil(connected(events), 'the port to open')
    dev.send('x\n')
    await expect(done).rejects.toThrow('bad x')
    expect(dev.isOpen).toBe(false)
  })

  it('on abort: stops reading, delivers what was read, reports the cut line and ends', async () => {
    const ac = new AbortController()
    const { source, events } = open({ dropFirstLine: false, signal: ac.signal })
    const { got, done } = drain(source)
    await waitUntil(connected(events), 'the port to open')
    dev.send('1\n2\npart')
    await waitUntil(() => source.stats.bytes === 8, 'the data to be read')
    ac.abort()
    await within(done, 'the source to end')
    expect(got).toEqual(['1', '2'])
    expect(events.at(-1)).toMatchObject({ event: 'closed', partial: 'part' })
    expect(source.stats.cutLines).toBe(1)
    expect(dev.isOpen).toBe(false)
  })

  it('ends at once when the signal is already aborted, opening nothing', async () => {
    const ac = new AbortController()
    ac.abort()
    const { source } = open({ signal: ac.signal })
    expect(await collect(source)).toEqual([])
    expect(dev.opens).toHaveLength(0)
  })

  it('aborting during the backoff wait ends the source and leaves no timer', async () => {
    // The backoff timer itself is watched (a count of all timers would also see other tests'
    // timers end meanwhile, under load).
    const realSet = globalThis.setTimeout
    const realClear = globalThis.clearTimeout
    const backoff: unknown[] = []
    const cleared = new Set<unknown>()
    const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t = realSet(fn, ms, ...args)
      if ((ms ?? 0) >= 60_000) backoff.push(t)
      return t
    }) as typeof setTimeout)
    const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((t?: Parameters<typeof clearTimeout>[0]) => {
      cleared.add(t)
      realClear(t)
    }) as typeof clearTimeout)
    try {
      const ac = new AbortController()
      const { source, events } = open({ signal: ac.signal, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 })
      const { done } = drain(source)
      await waitUntil(connected(events), 'the port to open')
      dev.unplug()
      await waitUntil(() => events.some(e => e.event === 'disconnected'), 'the disconnect')
      await waitUntil(() => backoff.length > 0, 'the backoff wait')
      ac.abort()
      await within(done, 'the source to end')
    } finally {
      set.mockRestore()
      clear.mockRestore()
    }
    expect(backoff.length).toBeGreaterThan(0)
    expect(backoff.every(t => cleared.has(t))).toBe(true)
  })

  it("rejects the first next() with SerialError ERR_SERIAL_OPEN 'no such port' when the first open fails (no retry)", async () => {
    dev.unplug()
    const { source } = open()
    const err = await collect(source).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SerialError)
    expect(err).toMatchObject({ name: 'SerialError', code: 'ERR_SERIAL_OPEN', disconnected: false, path: dev.path })
    expect((err as Error).message).toBe(`cannot open ${dev.path}: no such port (see: sensorpipe list)`)
    expect(dev.opens).toHaveLength(1)
  })

  it('explains permission and lock failures', async () => {
    const cases: Array<[string, RegExp]> = [
      ['Error: Permission denied, cannot open /dev/x', /permission denied \(on Linux, join the dialout group/],
      ['Error Resource temporarily unavailable Cannot lock port', /in use by another program/]
    ]
    for (const [message, expected] of cases) {
      const binding = { open: async () => { throw new Error(message) }, list: async () => [] }
      await expect(collect(fromSerial({ path: '/dev/x', baudRate: 9600, binding }))).rejects.toThrow(expected)
    }
  })

  it('validates options when built, naming the option', () => {
    const base = { path: '/dev/x', baudRate: 9600 }
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ path: '' }, '"path"'],
      [{ baudRate: 0 }, '"baudRate"'],
      [{ baudRate: undefined }, '"baudRate"'],
      [{ dataBits: 9 }, '"dataBits"'],
      [{ parity: 'weird' }, '"parity"'],
      [{ stopBits: 3 }, '"stopBits"'],
      [{ rtscts: 'yes' }, '"rtscts"'],
      [{ init: '' }, '"init"'],
      [{ poll: 5 }, '"poll"'],
      [{ pollEveryMs: 0 }, '"pollEveryMs"'],
      [{ reconnectMinMs: -1 }, '"reconnectMinMs"'],
      [{ reconnectMinMs: 500, reconnectMaxMs: 100 }, '"reconnectMaxMs"'],
      [{ reconnectJitter: 2 }, '"reconnectJitter"'],
      [{ reconnectAttempts: 1.5 }, '"reconnectAttempts"'],
      [{ maxBufferBytes: 0 }, '"maxBufferBytes"'],
      [{ overflow: 'sliding' }, '"overflow"'],
      [{ onEvent: 'log' }, '"onEvent"'],
      [{ binding: {} }, '"binding"']
    ]
    for (const [override, name] of bad) {
      expect(() => fromSerial({ ...base, ...override } as unknown as FromSerialOptions), JSON.stringify(override)).toThrow(TypeError)
      expect(() => fromSerial({ ...base, ...override } as unknown as FromSerialOptions)).toThrow(name)
    }
  })
})

describe('listSerialPorts()', () => {
  it('lists the ports the binding enumerates', async () => {
    resetDevices()
    const a = new FakeDevice('/dev/ttyUSB7', { manufacturer: 'FTDI', vendorId: '0403', productId: '6001' })
    const ports = await listSerialPorts({ binding: a.binding })
    expect(ports).toEqual([expect.objectContaining({ path: '/dev/ttyUSB7', manufacturer: 'FTDI', vendorId: '0403', productId: '6001' })])
  })

  it('turns an enumeration failure into SerialError ERR_SERIAL_LIST', async () => {
    const missing = Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' })
    const binding = { open: async () => { throw new Error('no') }, list: async () => { throw missing } }
    const err = await listSerialPorts({ binding }).then(() => undefined, (e: unknown) => e)
    expect(err).toMatchObject({ name: 'SerialError', code: 'ERR_SERIAL_LIST' })
    expect((err as Error).message).toBe('cannot list serial ports: udevadm was not found (Linux lists serial ports through udev)')
  })
})

describe('decodeEscapes()', () => {
  it('decodes \\r \\n \\t \\0 \\\\ and \\xHH', () => {
    expect(decodeEscapes('READ\\r\\n')).toBe('READ\r\n')
    expect(decodeEscapes('a\\tb\\0c\\\\d\\x41\\x7e')).toBe('a\tb\0c\\dA~')
    expect(decodeEscapes('plain')).toBe('plain')
  })

  it('rejects an unknown escape with a TypeError naming the option', () => {
    expect(() => decodeEscapes('x\\q', 'init')).toThrow('"init": unknown escape \\q (use')
    expect(() => decodeEscapes('x\\', 'poll')).toThrow(TypeError)
    expect(() => decodeEscapes('\\x4', 'poll')).toThrow(TypeError)
  })
})
