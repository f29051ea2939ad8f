import { read } from 'node:fs'
import { SourceError } from '../errors.js'
import type { SourceOptions } from '../types.js'
import { describe, optionalFunction, positiveInteger } from '../util/validate.js'
import { ChunkQueue, OVERFLOW_POLICIES, type OverflowPolicy } from './buffer.js'
import { importModule } from '../util/import-module.js'
import { DEFAULT_MAX_LINE_BYTES } from '../framing/lines.js'

export type { OverflowPolicy } from './buffer.js'

/** Serial line settings: data bits per character, parity, stop bits. */
export type DataBits = 5 | 6 | 7 | 8
export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space'
export type StopBits = 1 | 1.5 | 2

/** The open options a serial binding takes (`@serialport/bindings-interface`'s `OpenOptions`). */
export interface SerialOpenOptions {
  path: string
  baudRate: number
  dataBits?: DataBits
  parity?: Parity
  stopBits?: StopBits
  rtscts?: boolean
  xon?: boolean
  xoff?: boolean
  lock?: boolean
}

/** One open port of a binding: the promise `read()`/`write()`/`close()` of node-serialport. */
export interface SerialBindingPort {
  read: (buffer: Buffer, offset: number, length: number) => Promise<{ bytesRead: number }>
  write: (buffer: Buffer) => Promise<void>
  flush: () => Promise<void>
  close: () => Promise<void>
}

/** What a serial port enumerates as; `sensorpipe list` prints these. */
export interface SerialPortInfo {
  path: string
  manufacturer?: string | undefined
  serialNumber?: string | undefined
  pnpId?: string | undefined
  locationId?: string | undefined
  vendorId?: string | undefined
  productId?: string | undefined
}

/**
 * The hardware behind {@link fromSerial}: node-serialport's binding interface. The default is
 * `SerialPort.binding` from `serialport` (loaded on first use); tests pass `SerialPortMock.binding`.
 */
export interface SerialBinding {
  open: (options: SerialOpenOptions & Record<string, unknown>) => Promise<SerialBindingPort>
  list: () => Promise<SerialPortInfo[]>
}

/** A change in the connection, delivered in order with the data around it. */
export interface SerialEvent {
  /**
   * `connected` after the first open, `reconnected` after a later one, `disconnected` when the
   * device went away (or a read failed), `closed` when the source ended.
   */
  event: 'connected' | 'disconnected' | 'reconnected' | 'closed'
  /** The port's path. */
  path: string
  /** When it happened, in ms since the epoch. */
  time: number
  /** `disconnected`: what the read reported. */
  error?: string
  /** `reconnected`: failed opens before this one, and ms since the disconnect. */
  attempts?: number
  downtimeMs?: number
  /** `disconnected`, `closed`: the unfinished line that was dropped (its first 256 bytes). */
  partial?: string
}

/** Live counters of a {@link fromSerial} source. */
export interface SerialStats {
  /** Bytes read from the port. */
  bytes: number
  /** Successful opens, the first included. */
  opens: number
  /** Times the port went away (a read failed) while open. */
  disconnects: number
  /** Reconnections: opens after a disconnect that got as far as reading. */
  reconnects: number
  /** Opens that failed while reconnecting. */
  failedOpens: number
  /** Unfinished lines dropped because the port closed under them (a disconnect, or the end). */
  cutLines: number
  /** Partial first lines dropped after an open (attached mid-line). */
  firstLines: number
  /** Lines, and their bytes, dropped by the `drop-oldest` / `drop-newest` overflow policy. */
  overflowLines: number
  overflowBytes: number
  /** Poll writes skipped because the previous write had not finished. */
  skippedPolls: number
  /** Events dropped because 64 were already waiting for a stalled consumer. */
  droppedEvents: number
}

export interface FromSerialOptions extends SourceOptions {
  /** The device, e.g. `/dev/ttyUSB0`, `/dev/serial/by-id/usb-...`, `COM3`. Required. */
  path: string
  /** Line speed, e.g. 9600, 115200. Required. */
  baudRate: number
  /** Default 8. */
  dataBits?: DataBits
  /** Default `none`. */
  parity?: Parity
  /** Default 1. */
  stopBits?: StopBits
  /** Hardware flow control (RTS/CTS). Default false. */
  rtscts?: boolean
  /** Software flow control (XON/XOFF), both directions. Default false. */
  xonxoff?: boolean
  /** Sent after every open, e.g. a start command. Strings are sent as UTF-8. */
  init?: string | Uint8Array
  /** Sent after every open and then every `pollEveryMs`, for request/response sensors. */
  poll?: string | Uint8Array
  /** With `poll`: the interval in ms. Default 1000. */
  pollEveryMs?: number
  /**
   * Drop the bytes up to the first LF after every open: the device may have been mid-line when
   * the port opened. Dropped lines are counted in `stats.firstLines`. Default true, or false when
   * `poll` is given (a polled device speaks only when asked).
   */
  dropFirstLine?: boolean
  /** Reconnect: the first retry waits this long (ms); each next one twice as long. Default 100. */
  reconnectMinMs?: number
  /** Reconnect: the longest wait between retries (ms). Default 5000. */
  reconnectMaxMs?: number
  /** Reconnect: each wait is varied at random by up to this fraction, 0 to 1. Default 0.2. */
  reconnectJitter?: number
  /** Reconnect: failed opens allowed per disconnect before giving up; 0 never reconnects. Default Infinity. */
  reconnectAttempts?: number
  /** Most bytes held between the port and a slow consumer (plus one read). Default 1 MiB. */
  maxBufferBytes?: number
  /** What happens when `maxBufferBytes` is reached. Default `block` (stop reading the port). */
  overflow?: OverflowPolicy
  /**
   * The framer's `maxLineBytes` (default 65536): an unfinished line is held here until its LF,
   * at most this + 2 bytes; a longer one is cut to that and passed on for the framer to reject.
   */
  maxLineBytes?: number
  /** Receives connection events, in order with the data (when the consumer reaches them). */
  onEvent?: (event: SerialEvent) => void
  /** The hardware binding; default `SerialPort.binding` from `serialport`. */
  binding?: SerialBinding
}

/** A serial source: Buffer chunks of whole lines, with live {@link SerialStats}. */
export type SerialSource = AsyncIterable<Buffer> & { readonly stats: SerialStats }

/**
 * A serial port failed: it could not be opened, could not be listed, or went away and did not
 * come back. `disconnected` is true for the last, as with node-serialport's errors.
 */
export class SerialError extends SourceError {
  readonly disconnected: boolean
  constructor (code: string, message: string, options: { cause?: unknown, path?: string, disconnected?: boolean } = {}) {
    super(code, message, options)
    this.name = 'SerialError'
    this.disconnected = options.disconnected === true
  }
}

const LF = 10
const CR = 13
const NL = Buffer.from('\n')
const SNIPPET = 256
const READ_BYTES = 1 << 16

/**
 * Reads a serial port as a stream of Buffer chunks, each holding whole lines (ending in LF), for
 * the {@link lines} framer. It keeps the stream alive across unplugging: when a read fails the
 * port is closed, the unfinished line is dropped (never glued to the next), and the open is
 * retried with exponential backoff (`reconnect*` options) until it succeeds, while the consumer
 * keeps waiting. After every open it flushes stale input, drops the partial first line (unless
 * `dropFirstLine` is false), writes `init` and starts `poll`.
 *
 * A reader runs ahead of the consumer into a bounded queue (`maxBufferBytes`, default 1 MiB) whose
 * `overflow` policy is `block` (stop reading the port; with `rtscts` the device is held back),
 * `drop-oldest` or `drop-newest`; drops are whole lines, counted in `stats`. A line is handed on
 * as soon as its LF is read: there is no timer or batching delay.
 *
 * The first open's failure rejects the first `next()` with a {@link SerialError} (no retry: a
 * wrong path should not wait forever); giving up after `reconnectAttempts` rejects with one whose
 * `disconnected` is true, after the lines read before it. Aborting the signal stops reading and
 * ends the stream after the lines already read; `break` closes the port at once. The port, the
 * poll timer and the backoff timer are released in every case.
 *
 * @example
 * ```ts
 * const port = fromSerial({ path: '/dev/ttyUSB0', baudRate: 115200, init: 'START\r\n' })
 * for await (const batch of pipe(port, lines())) for (const line of batch) console.log(line)
 * console.error(port.stats.disconnects, 'disconnects')
 * ```
 */
export function fromSerial (options: FromSerialOptions): SerialSource {
  if (options === null || typeof options !== 'object') throw new TypeError('fromSerial needs an options object with "path" and "baudRate"')
  const { path, signal } = options
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`"path" must be a non-empty string, got ${describe(path)}`)
  const baudRate = positiveInteger('baudRate', options.baudRate)
  const dataBits = oneOf('dataBits', options.dataBits ?? 8, [5, 6, 7, 8] as const)
  const parity = oneOf('parity', options.parity ?? 'none', ['none', 'even', 'odd', 'mark', 'space'] as const)
  const stopBits = oneOf('stopBits', options.stopBits ?? 1, [1, 1.5, 2] as const)
  const rtscts = boolean('rtscts', options.rtscts ?? false)
  const xonxoff = boolean('xonxoff', options.xonxoff ?? false)
  const init = bytes('init', options.init)
  const poll = bytes('poll', options.poll)
  const pollEveryMs = positiveInteger('pollEveryMs', options.pollEveryMs ?? 1000)
  const dropFirstLine = boolean('dropFirstLine', options.dropFirstLine ?? poll === undefined)
  const minMs = positiveInteger('reconnectMinMs', options.reconnectMinMs ?? 100)
  const maxMs = positiveInteger('reconnectMaxMs', options.reconnectMaxMs ?? 5000)
  if (maxMs < minMs) throw new TypeError(`"reconnectMaxMs" (${maxMs}) must not be less than "reconnectMinMs" (${minMs})`)
  const jitter = options.reconnectJitter ?? 0.2
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw new TypeError(`"reconnectJitter" must be a number from 0 to 1, got ${describe(jitter)}`)
  const attempts = options.reconnectAttempts ?? Infinity
  if (attempts !== Infinity && (!Number.isSafeInteger(attempts) || attempts < 0)) throw new TypeError(`"reconnectAttempts" must be a whole number >= 0 or Infinity, got ${describe(attempts)}`)
  const maxBufferBytes = positiveInteger('maxBufferBytes', options.maxBufferBytes ?? 1 << 20)
  const overflow = oneOf('overflow', options.overflow ?? 'block', OVERFLOW_POLICIES)
  const maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
  const onEvent = optionalFunction('onEvent', options.onEvent)
  const binding = options.binding
  if (binding !== undefined && (binding === null || typeof binding.open !== 'function')) throw new TypeError('"binding" must be a serial binding with open()')
  const openOptions = { path, baudRate, dataBits, parity, stopBits, rtscts, xon: xonxoff, xoff: xonxoff, lock: true }

  const stats: SerialStats = { bytes: 0, opens: 0, disconnects: 0, reconnects: 0, failedOpens: 0, cutLines: 0, firstLines: 0, overflowLines: 0, overflowBytes: 0, skippedPolls: 0, droppedEvents: 0 }

  async function * fromSerialSource (): AsyncGenerator<Buffer> {
    if (signal?.aborted === true) return
    const queue = new ChunkQueue<SerialEvent>(maxBufferBytes, overflow, (lines, bytes, events) => {
      stats.overflowLines += lines
      stats.overflowBytes += bytes
      stats.droppedEvents += events
    })
    const cutter = new LineCutter(maxLineBytes + 2, stats)
    let stopped = false
    let port: SerialBindingPort | undefined
    let pollTimer: NodeJS.Timeout | undefined
    let sleepTimer: NodeJS.Timeout | undefined
    let wakeSleep: (() => void) | undefined
    const event = ({ event: name, ...rest }: Omit<SerialEvent, 'path' | 'time'>): void => {
      queue.pushEvent({ event: name, path, time: Date.now(), ...rest })
    }
    const closePort = async (): Promise<void> => {
      const p = port
      port = undefined
      clearInterval(pollTimer)
      pollTimer = undefined
      try { await p?.close() } catch { /* already gone */ }
    }
    // Stops reading: a pending read rejects (canceled), the backoff wait ends, and the reader
    // finishes, which ends the queue after what it holds.
    const stop = (): void => {
      if (stopped) return
      stopped = true
      clearTimeout(sleepTimer)
      wakeSleep?.()
      void closePort()
    }

    const startPolling = (p: SerialBindingPort): void => {
      if (poll === undefined) return
      let writing = false
      const send = (): void => {
        if (writing) { stats.skippedPolls++; return }
        writing = true
        // A failed write is left to the reader, which sees the same failure and reconnects.
        p.write(poll).then(() => { writing = false }, () => { writing = false })
      }
      send()
      pollTimer = setInterval(send, pollEveryMs)
    }

    const sleep = async (ms: number): Promise<void> => {
      await new Promise<void>(resolve => {
        wakeSleep = resolve
        sleepTimer = setTimeout(resolve, ms)
      })
      wakeSleep = undefined
    }

    // One connection: flush stale input, send init, announce it, start polling, read until a
    // read fails (thrown) or the source stops (returns).
    const drive = async (p: SerialBindingPort, announce: () => void): Promise<void> => {
      await p.flush()
      cutter.reset(dropFirstLine)
      if (init !== undefined) await p.write(init)
      announce()
      startPolling(p)
      const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, maxBufferBytes))
      const read = unixReader(p) ?? (async (b: Buffer) => (await p.read(b, 0, b.length)).bytesRead)
      for (;;) {
        if (overflow === 'block') await queue.whenSpace()
        if (stopped) return
        const bytesRead = await read(buf)
        stats.bytes += bytesRead
        const out = cutter.push(buf.subarray(0, bytesRead))
        if (out !== undefined) queue.push(out)
      }
    }

    // The reader: opens, reads into the queue, and reconnects until stopped or out of attempts.
    const reader = async (): Promise<void> => {
      const b = binding ?? await defaultBinding()
      try {
        port = await b.open(openOptions)
      } catch (err) {
        throw openError(path, err)
      }
      let downSince = 0
      let failed = 0
      for (;;) {
        if (stopped) { await closePort(); return }
        stats.opens++
        const announce = stats.opens === 1
          ? () => { event({ event: 'connected' }) }
          : () => {
              stats.reconnects++
              event({ event: 'reconnected', attempts: failed, downtimeMs: Date.now() - downSince })
            }
        let error: unknown
        try {
          await drive(port!, announce)
        } catch (err) {
          error = err
        }
        await closePort()
        if (stopped) return
        stats.disconnects++
        downSince = Date.now()
        const partial = cutter.cut()
        event({ event: 'disconnected', error: messageOf(error), ...(partial !== undefined ? { partial } : {}) })
        failed = 0
        let lastError: unknown = error
        for (;;) {
          if (failed >= attempts) {
            const tried = failed === 0 ? 'reconnecting is off' : `did not come back after ${failed} ${failed === 1 ? 'attempt' : 'attempts'} (${openError(path, lastError).message})`
            throw new SerialError('ERR_SERIAL_DISCONNECTED', `${path} disconnected (${messageOf(error)}) and ${tried}`,
              { cause: lastError, path, disconnected: true })
          }
          const base = Math.min(maxMs, minMs * 2 ** Math.min(failed, 30))
          await sleep(Math.round(base * (1 + jitter * (2 * Math.random() - 1))))
          if (stopped) return
          try {
            port = await b.open(openOptions)
            break
          } catch (err) {
            lastError = err
            failed++
            stats.failedOpens++
          }
        }
      }
    }

    const onAbort = (): void => { stop() }
    signal?.addEventListener('abort', onAbort)
    const reading = reader().then(
      () => {
        const partial = cutter.cut()
        event({ event: 'closed', ...(partial !== undefined ? { partial } : {}) })
        queue.end()
      },
      (err: unknown) => { queue.fail(err) }
    )
    try {
      for (;;) {
        const item = await queue.take()
        if (item === undefined) return
        if (item.event !== undefined) onEvent?.(item.event)
        else yield item.chunk
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      stop()
      queue.discard()
      await reading
    }
  }

  return Object.assign({ [Symbol.asyncIterator]: fromSerialSource }, { stats })
}

/**
 * The line `sensorpipe run --port ... --summary` prints after the summary:
 * `serial disconnects=D reconnects=R dropped-cut=C dropped-first=F dropped-overflow=O`
 * (lines dropped because a disconnect or the end cut them, as the partial first line after an
 * open, and by the overflow policy).
 *
 * @example
 * ```ts
 * console.error(formatSerialStats(port.stats))
 * ```
 */
export function formatSerialStats (s: SerialStats): string {
  return `serial disconnects=${s.disconnects} reconnects=${s.reconnects} dropped-cut=${s.cutLines} dropped-first=${s.firstLines} dropped-overflow=${s.overflowLines}`
}

/**
 * Lists the serial ports the system knows (USB adapters, built-in UARTs). On Linux this asks
 * udev (`udevadm`); virtual ports such as socat's are not listed. Rejects with a
 * {@link SerialError} `ERR_SERIAL_LIST` when the system cannot enumerate ports.
 *
 * @example
 * ```ts
 * for (const p of await listSerialPorts()) console.log(p.path, p.manufacturer)
 * ```
 */
export async function listSerialPorts (options: { binding?: SerialBinding } = {}): Promise<SerialPortInfo[]> {
  const b = options.binding ?? await defaultBinding()
  try {
    return await b.list()
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' && /udevadm/.test(e.message)
      ? 'udevadm was not found (Linux lists serial ports through udev)'
      : messageOf(err)
    throw new SerialError('ERR_SERIAL_LIST', `cannot list serial ports: ${why}`, { cause: err })
  }
}

/**
 * Turns the escapes `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH` in a command-line string into the
 * bytes they stand for (for `--init` and `--poll`). Throws a TypeError naming `option` on any
 * other escape.
 *
 * @example
 * ```ts
 * decodeEscapes('READ\\r\\n') // 'READ\r\n'
 * ```
 */
export function decodeEscapes (text: string, option = 'text'): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|.|$)/gs, (all, e: string) => {
    switch (e[0]) {
      case 'r': return '\r'
      case 'n': return '\n'
      case 't': return '\t'
      case '0': return '\0'
      case '\\': return '\\'
      case 'x': if (e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16))
    }
    throw new TypeError(`"${option}": unknown escape ${all === '\\' ? 'at the end' : all} (use \\r, \\n, \\t, \\0, \\\\ or \\xHH)`)
  })
}

// The open port of node-serialport's Linux and macOS bindings: a non-blocking fd and a poller.
interface UnixPort {
  fd: number | null
  poller: { once: (event: 'readable', callback: (err: Error | null) => void) => unknown }
}

/**
 * A read for the Linux and macOS bindings' ports that treats end of file as the hang-up it is.
 * Their own read() retries at once, forever, when read(2) returns 0 (a tty whose device went
 * away: a pty whose other end closed, many USB adapters), spinning a CPU core and never failing,
 * so the disconnect would never be seen. Undefined for other ports (Windows, the mock).
 */
function unixReader (p: SerialBindingPort): ((buf: Buffer) => Promise<number>) | undefined {
  const u = p as unknown as Partial<UnixPort>
  if (typeof u.fd !== 'number' || typeof u.poller?.once !== 'function') return undefined
  const poller = u.poller
  return async function readUnix (buf) {
    for (;;) {
      const fd = u.fd
      if (typeof fd !== 'number') throw Object.assign(new Error('Port is not open'), { canceled: true })
      const n = await new Promise<number>((resolve, reject) => {
        read(fd, buf, 0, buf.length, null, (err, bytesRead) => {
          const code = (err as NodeJS.ErrnoException | null)?.code
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') resolve(-1)
          else if (err !== null) reject(err)
          else if (bytesRead === 0) reject(new Error('the device hung up (end of file)'))
          else resolve(bytesRead)
        })
      })
      if (n > 0) return n
      // Closed meanwhile: the poller is destroyed, and polling it would crash the process.
      if (typeof u.fd !== 'number') throw Object.assign(new Error('Port is not open'), { canceled: true })
      await new Promise<void>((resolve, reject) => { poller.once('readable', err => { if (err !== null) reject(err); else resolve() }) })
    }
  }
}

async function defaultBinding (): Promise<SerialBinding> {
  try {
    const { SerialPort } = await importModule<typeof import('serialport')>('serialport')
    return SerialPort.binding as unknown as SerialBinding
  } catch (err) {
    throw new SerialError('ERR_SERIAL_BINDING', `serial ports are not available here: ${messageOf(err)}`, { cause: err })
  }
}

/**
 * Cuts the byte stream of one connection into chunks of whole lines. Holds the unfinished last
 * line (at most `limit` bytes; past that only its head is kept, and it is passed on cut to
 * `limit` when its LF comes, for the framer to reject as too long). Copies what it hands out, so
 * the reader can reuse its buffer.
 */
class LineCutter {
  readonly #limit: number
  readonly #stats: SerialStats
  #carry = Buffer.alloc(0)
  #carryLen = 0
  #overlong = false
  #skipping = false
  #skippedData = false

  constructor (limit: number, stats: SerialStats) {
    this.#limit = limit
    this.#stats = stats
  }

  /** A new connection: forget nothing (cut() ran), and maybe skip to the first LF. */
  reset (dropFirstLine: boolean): void {
    this.#skipping = dropFirstLine
    this.#skippedData = false
  }

  /** The whole lines completed by `data` (a fresh buffer), or undefined when there are none. */
  push (data: Buffer): Buffer | undefined {
    let from = 0
    if (this.#skipping) {
      const lf = data.indexOf(LF)
      const upTo = lf < 0 ? data.length : lf
      for (let i = 0; i < upTo && !this.#skippedData; i++) if (data[i] !== CR) this.#skippedData = true
      if (lf < 0) return undefined
      this.#skipping = false
      if (this.#skippedData) this.#stats.firstLines++
      from = lf + 1
    }
    const last = data.lastIndexOf(LF)
    if (last < from) {
      this.#keep(data, from, data.length)
      return undefined
    }
    let out: Buffer
    if (this.#carryLen > 0 || this.#overlong) {
      const lf = data.indexOf(LF, from)
      this.#keep(data, from, lf)
      const head = this.#carry.subarray(0, this.#carryLen)
      out = Buffer.concat([head, NL, data.subarray(lf + 1, last + 1)])
      this.#carryLen = 0
      this.#overlong = false
    } else {
      out = Buffer.from(data.subarray(from, last + 1))
    }
    this.#keep(data, last + 1, data.length)
    return out
  }

  /** Drops the unfinished line, if any (counted in `cutLines`); returns its first bytes as text. */
  cut (): string | undefined {
    const n = this.#carryLen
    const overlong = this.#overlong
    this.#carryLen = 0
    this.#overlong = false
    this.#skipping = false
    if (!overlong && (n === 0 || (n === 1 && this.#carry[0] === CR))) return undefined
    this.#stats.cutLines++
    return this.#carry.toString('utf8', 0, Math.min(n, SNIPPET))
  }

  #keep (src: Buffer, from: number, to: number): void {
    if (to <= from || this.#overlong) return
    let n = to - from
    if (this.#carryLen + n > this.#limit) {
      n = this.#limit - this.#carryLen
      this.#overlong = true
    }
    if (this.#carry.length < this.#carryLen + n) {
      const next = Buffer.allocUnsafe(Math.min(this.#limit, Math.max(this.#carryLen + n, this.#carry.length * 2, 256)))
      this.#carry.copy(next, 0, 0, this.#carryLen)
      this.#carry = next
    }
    src.copy(this.#carry, this.#carryLen, from, from + n)
    this.#carryLen += n
  }
}

// Bindings report open failures as messages ("Error: No such file or directory, cannot open X"),
// rarely with a code; both are read.
function openError (path: string, err: unknown): SerialError {
  const e = err as NodeJS.ErrnoException | undefined
  const text = `${e?.code ?? ''} ${messageOf(err)}`
  const why = /ENOENT|No such file/i.test(text)
    ? 'no such port (see: sensorpipe list)'
    : /EACCES|Permission denied/i.test(text)
      ? 'permission denied (on Linux, join the dialout group: sudo usermod -aG dialout $USER, then log in again)'
      : /Cannot lock port|EBUSY|busy/i.test(text)
        ? 'the port is in use by another program'
        : /ENOTTY|Inappropriate ioctl/i.test(text)
          ? 'not a serial port'
          : messageOf(err)
  return new SerialError('ERR_SERIAL_OPEN', `cannot open ${path}: ${why}`, { cause: err, path })
}

function messageOf (err: unknown): string {
  if (err === undefined) return 'unknown error'
  const m = err instanceof Error ? err.message : String(err)
  return m.replace(/^Error: /, '')
}

function oneOf<T> (name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new TypeError(`"${name}" must be one of ${allowed.join(', ')}, got ${describe(value)}`)
  return value as T
}

function boolean (name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" must be a boolean, got ${describe(value)}`)
  return value
}

function bytes (name: string, value: unknown): Buffer | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string' && value.length > 0) return Buffer.from(value, 'utf8')
  if (value instanceof Uint8Array && value.length > 0) return Buffer.from(value)
  throw new TypeError(`"${name}" must be a non-empty string or Uint8Array, got ${describe(value)}`)
}
