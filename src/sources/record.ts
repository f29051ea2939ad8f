import { isUtf8 } from 'node:buffer'
import { closeSync, openSync, writeSync } from 'node:fs'
import type { LineBatch } from '../batch/line-batch.js'
import { SinkError } from '../errors.js'
import type { SerialEvent } from './serial.js'

/** The version of the recording format that {@link recordTo} writes and `fromReplay` reads. */
export const RECORDING_VERSION = 1

/** The first line of a recording. */
export interface RecordingHeader {
  sensorpipe: 'recording'
  version: number
  /** When recording started (ISO 8601, UTC). */
  started: string
  /** What was recorded: a port path, a file path, or `stdin`. */
  source: string
  /** The line speed, for a serial port. */
  baudRate?: number
}

/**
 * One entry (line) of a recording after the header: a line with `line` (UTF-8 text) or
 * `base64` (bytes that are not valid UTF-8), or a connection event with `event`. `t` is ms
 * since the recording started (monotonic, µs precision); `at` is ms since the epoch.
 */
export interface RecordingEntry {
  t: number
  at: number
  line?: string
  base64?: string
  event?: SerialEvent['event']
  error?: string
  attempts?: number
  downtimeMs?: number
  partial?: string
}

export interface RecordOptions {
  /** What is being recorded, for the header: a port path, a file path, or `stdin`. */
  source: string
  /** The line speed, for the header. */
  baudRate?: number
}

/** Counts of a recording. */
export interface RecordStats {
  /** Lines written. */
  lines: number
  /** Events written. */
  events: number
}

/** Writes a stream of lines to a recording; also takes events (`onEvent` of {@link fromSerial}). */
export type Recorder = ((batches: AsyncIterable<LineBatch>) => Promise<RecordStats>) & {
  /** Writes a connection event at its place among the lines. */
  readonly event: (event: SerialEvent) => void
  readonly stats: RecordStats
}

/**
 * A consumer that writes lines, with the time each was received, to a recording file (the
 * fixture format of docs/serial.md: a header line, then one JSON object per line or event).
 * Every batch is written with a synchronous write as it arrives, so nothing received is held
 * in memory: when the source ends (Ctrl-C aborts it) the file is complete up to the last line.
 * The file is created or truncated when the returned function is called, and closed at the end
 * in every case. Failing to open or write it rejects with a {@link SinkError}.
 *
 * @example
 * ```ts
 * const recorder = recordTo('session.jsonl', { source: '/dev/ttyUSB0', baudRate: 9600 })
 * const port = fromSerial({ path: '/dev/ttyUSB0', baudRate: 9600, onEvent: recorder.event, signal })
 * await recorder(pipe(port, lines()))
 * ```
 */
export function recordTo (path: string, options: RecordOptions): Recorder {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" must be a non-empty string')
  if (options === null || typeof options !== 'object' || typeof options.source !== 'string') throw new TypeError('"source" must be a string')
  const stats: RecordStats = { lines: 0, events: 0 }
  let fd: number | undefined
  let t0 = 0
  // Events seen before the file is open (none in practice: they come in-band) wait here.
  const early: SerialEvent[] = []

  const write = (text: string): void => {
    try {
      writeSync(fd!, text)
    } catch (err) {
      throw new SinkError('ERR_SINK_WRITE', `cannot write ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  const stamp = (): string => `{"t":${Math.round((performance.now() - t0) * 1000) / 1000},"at":${Date.now()}`

  const event = (e: SerialEvent): void => {
    if (fd === undefined) { if (early.length < 64) early.push(e); return }
    const { event: name, path: _path, time: _time, ...rest } = e
    write(`${stamp()},"event":${JSON.stringify(name)}${Object.keys(rest).length > 0 ? ',' + JSON.stringify(rest).slice(1, -1) : ''}}\n`)
    stats.events++
  }

  async function record (batches: AsyncIterable<LineBatch>): Promise<RecordStats> {
    try {
      fd = openSync(path, 'w')
    } catch (err) {
      throw new SinkError('ERR_SINK_OPEN', `cannot open ${path} for writing: ${(err as Error).message}`, { cause: err })
    }
    t0 = performance.now()
    try {
      const header: RecordingHeader = { sensorpipe: 'recording', version: RECORDING_VERSION, started: new Date().toISOString(), source: options.source }
      if (options.baudRate !== undefined) header.baudRate = options.baudRate
      write(JSON.stringify(header) + '\n')
      for (const e of early.splice(0)) event(e)
      for await (const batch of batches) {
        // One time for the batch: its lines arrived together.
        const head = stamp()
        let text = ''
        const units = batch.units
        for (let i = 0; i < batch.length; i++) {
          const raw = Buffer.from(units.buffer, units.byteOffset + batch.start(i), batch.end(i) - batch.start(i))
          text += isUtf8(raw)
            ? `${head},"line":${JSON.stringify(raw.toString('utf8'))}}\n`
            : `${head},"base64":"${raw.toString('base64')}"}\n`
        }
        if (text !== '') write(text)
        stats.lines += batch.length
      }
    } finally {
      closeSync(fd)
      fd = undefined
    }
    return stats
  }

  return Object.assign(record, { event, stats })
}
