import { SourceError } from '../errors.js'
import { lines } from '../framing/lines.js'
import { pipe } from '../pipe.js'
import type { SourceOptions } from '../types.js'
import { describe, optionalFunction, positiveInteger } from '../util/validate.js'
import { fromFile } from './file.js'
import { RECORDING_VERSION, type RecordingEntry, type RecordingHeader } from './record.js'
import type { SerialEvent } from './serial.js'

export interface FromReplayOptions extends SourceOptions {
  /** Play this many times faster than recorded (0.5 is half speed). Default 1. */
  speed?: number
  /** Do not wait at all: play as fast as the consumer takes it. Default false. */
  maxSpeed?: boolean
  /** Shorten every silence longer than this (in recorded ms) to this. Default: no limit. */
  maxGapMs?: number
  /** Start again from the first line after the last one, until the signal aborts. Default false. */
  loop?: boolean
  /** Receives the recorded connection events, in order with the lines. */
  onEvent?: (event: SerialEvent) => void
}

/** Live counters of a {@link fromReplay} source. */
export interface ReplayStats {
  /** Lines played. */
  lines: number
  /** Events played. */
  events: number
  /** Entries skipped because they are not valid (a recording cut off mid-line, say). */
  skipped: number
  /** Times playback started again from the top (`loop`). */
  loops: number
}

export type ReplaySource = AsyncIterable<Buffer> & { readonly stats: ReplayStats }

/** Most bytes handed on in one chunk; also the most held. */
const CHUNK_BYTES = 1 << 16
/** Longest entry read from a recording (a 64 KiB line, JSON-escaped, fits many times over). */
const MAX_ENTRY_BYTES = 1 << 22

/**
 * Plays a recording made by `sensorpipe record` (see docs/serial.md) as a stream of Buffer
 * chunks of lines, at the pace they were recorded: each line is handed on when its recorded
 * time, divided by `speed`, has passed since playback started. Lines that are due together go
 * in one chunk (at most 64 KiB); nothing waits once a line is due. Recorded connection events
 * go to `onEvent` at their place.
 *
 * Reads the file lazily through {@link lines}, holding one file chunk and one output chunk. A
 * file that is not a recording rejects the first `next()` with a {@link SourceError}
 * `ERR_REPLAY_FORMAT`; an invalid entry after the header is skipped and counted. Ends after the
 * last line (or, with `loop`, when the signal aborts); the file and the timer are released in
 * every case.
 *
 * @example
 * ```ts
 * for await (const batch of pipe(fromReplay('session.jsonl', { speed: 10 }), lines())) console.log(batch.toArray())
 * ```
 */
export function fromReplay (path: string, options: FromReplayOptions = {}): ReplaySource {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" must be a non-empty string')
  const { signal } = options
  const speed = options.speed ?? 1
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0) throw new TypeError(`"speed" must be a positive number, got ${describe(speed)}`)
  const maxSpeed = options.maxSpeed ?? false
  if (typeof maxSpeed !== 'boolean') throw new TypeError(`"maxSpeed" must be a boolean, got ${describe(maxSpeed)}`)
  const maxGapMs = options.maxGapMs === undefined ? Infinity : positiveInteger('maxGapMs', options.maxGapMs)
  const loop = options.loop ?? false
  if (typeof loop !== 'boolean') throw new TypeError(`"loop" must be a boolean, got ${describe(loop)}`)
  const onEvent = optionalFunction('onEvent', options.onEvent)
  const stats: ReplayStats = { lines: 0, events: 0, skipped: 0, loops: 0 }

  async function * fromReplaySource (): AsyncGenerator<Buffer> {
    const aborted = (): boolean => signal?.aborted === true
    let timer: NodeJS.Timeout | undefined
    let wake: (() => void) | undefined
    const onAbort = (): void => { wake?.() }
    signal?.addEventListener('abort', onAbort)
    const parts: Buffer[] = []
    let size = 0
    const take = (): Buffer => {
      const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)
      parts.length = 0
      size = 0
      return out
    }
    const start = performance.now()
    let elapsed = 0 // recorded ms played so far, silences capped at maxGapMs
    try {
      for (;;) {
        let header: RecordingHeader | undefined
        let prevT: number | undefined
        for await (const batch of pipe(fromFile(path, { signal }), lines({ maxLineBytes: MAX_ENTRY_BYTES }))) {
          for (let i = 0; i < batch.length; i++) {
            const text = batch.at(i)
            if (header === undefined) {
              header = readHeader(path, text)
              continue
            }
            const entry = readEntry(text)
            if (entry === undefined) {
              if (text.trim() !== '') stats.skipped++
              continue
            }
            if (prevT !== undefined) elapsed += Math.min(maxGapMs, Math.max(0, entry.t - prevT))
            prevT = entry.t
            if (!maxSpeed) {
              const wait = start + elapsed / speed - performance.now()
              if (wait >= 1) {
                if (size > 0) yield take()
                await new Promise<void>(resolve => {
                  wake = resolve
                  timer = setTimeout(resolve, wait)
                })
                clearTimeout(timer)
                wake = undefined
              }
            }
            if (aborted()) break
            if (entry.event !== undefined) {
              if (size > 0) yield take()
              stats.events++
              const { t: _t, at, event, ...rest } = entry
              onEvent?.({ event, path: header.source, time: at, ...rest })
              continue
            }
            const bytes = entry.line !== undefined ? Buffer.from(entry.line + '\n') : Buffer.concat([Buffer.from(entry.base64!, 'base64'), NL])
            parts.push(bytes)
            size += bytes.length
            stats.lines++
            if (size >= CHUNK_BYTES) yield take()
          }
          if (aborted()) break
          // Hand on what is due at the end of each file chunk: nothing waits for the next one.
          if (size > 0) yield take()
        }
        if (aborted()) return
        if (header === undefined) throw new SourceError('ERR_REPLAY_FORMAT', `${path} is empty: not a sensorpipe recording`, { path })
        if (size > 0) yield take()
        if (!loop || aborted()) return
        stats.loops++
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      clearTimeout(timer)
    }
  }

  return Object.assign({ [Symbol.asyncIterator]: fromReplaySource }, { stats })
}

const NL = Buffer.from('\n')

function readHeader (path: string, text: string): RecordingHeader {
  let h: Partial<RecordingHeader> | undefined
  try { h = JSON.parse(text) as Partial<RecordingHeader> } catch { /* reported below */ }
  if (h === null || typeof h !== 'object' || h.sensorpipe !== 'recording') {
    throw new SourceError('ERR_REPLAY_FORMAT', `${path} is not a sensorpipe recording (its first line should be {"sensorpipe":"recording","version":${RECORDING_VERSION},...})`, { path })
  }
  if (h.version !== RECORDING_VERSION) {
    throw new SourceError('ERR_REPLAY_FORMAT', `${path} is a version ${String(h.version)} recording; this sensorpipe reads version ${RECORDING_VERSION}`, { path })
  }
  return { ...h, source: typeof h.source === 'string' ? h.source : path } as RecordingHeader
}

const EVENTS = new Set(['connected', 'disconnected', 'reconnected', 'closed'])

// An entry with a finite time and exactly one of: a text line, base64 bytes, a known event.
function readEntry (text: string): (RecordingEntry & { event?: SerialEvent['event'] }) | undefined {
  let e: RecordingEntry
  try { e = JSON.parse(text) as RecordingEntry } catch { return undefined }
  if (e === null || typeof e !== 'object' || typeof e.t !== 'number' || !Number.isFinite(e.t)) return undefined
  if (typeof e.at !== 'number') e.at = 0
  if (typeof e.line === 'string') return e.event === undefined && e.base64 === undefined ? e : undefined
  if (typeof e.base64 === 'string') return e.event === undefined ? e : undefined
  if (typeof e.event === 'string' && EVENTS.has(e.event)) return e
  return undefined
}
