import type { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord } from '../types.js'
import { driveWindows, type EventTimeOptions, newStats, ResultLayout, timeSpec, type WindowOptions, windowSpec, type WindowStage } from './common.js'
import { parseDuration } from './duration.js'
import { timeWindowEngine } from './time-windows.js'

/** Most windows one record may fall in (`size / slide`): each is updated for every record. */
export const MAX_WINDOWS_PER_RECORD = 10_000

/** Options of {@link sliding}: size and slide, and those every event-time window takes. */
export interface SlidingOptions extends WindowOptions, EventTimeOptions {
  /** Window length by event time: `'10s'` or milliseconds. */
  size: string | number
  /** How far apart windows start: `'2s'` or milliseconds, at most `size`. */
  slide: string | number
}

/**
 * Groups records into sliding (hopping) windows by event time: windows [start, start + size) start
 * at every multiple of `slide` since the epoch, so each record falls in `size / slide` windows
 * (rounded up) and is added to each. Emits one record per window and key:
 * `{ window, end, ...keys, ...aggregates }`, when the watermark (largest event time seen minus
 * `allowedLateness`) reaches the window's end. A record some of whose windows have closed goes
 * into the open ones; one whose windows have all closed is late and follows `late` (with
 * `'update'`, its closed windows are corrected and emitted again). Open windows are flushed
 * (partial) at the end of input.
 *
 * Holds at most `maxKeys` window states (a key has up to `size / slide` open at once); past it the
 * least recently updated is flushed early. Costs `size / slide` state updates per record.
 *
 * @example
 * ```ts
 * const w = sliding({ size: '10s', slide: '2s', time: 'ts', key: 'sensor', aggregates: 'mean,max', value: 'temp' })
 * ```
 */
export function sliding (options: SlidingOptions): WindowStage {
  if (options === null || typeof options !== 'object') throw new TypeError('sliding needs options: { size, slide, time }')
  if (options.size === undefined) throw new TypeError('"size" (the window length) is needed')
  if (options.slide === undefined) throw new TypeError('"slide" (how far apart windows start) is needed')
  const size = parseDuration(options.size, 'size')
  const slide = parseDuration(options.slide, 'slide')
  if (slide > size) throw new TypeError(`"slide" (${slide} ms) must not be longer than "size" (${size} ms)`)
  if (size / slide > MAX_WINDOWS_PER_RECORD) throw new TypeError(`"size" / "slide" must be at most ${MAX_WINDOWS_PER_RECORD} (each record is added to that many windows)`)
  const time = timeSpec(options, 'size')
  const spec = windowSpec(options)
  const stats = newStats()
  const layout = new ResultLayout(spec, true, time.late === 'update', stats)
  const makeEngine = timeWindowEngine(spec, time, size, slide, stats)

  async function * slidingStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch> {
    yield * driveWindows(batches, makeEngine(), layout, time)
  }
  return Object.assign(slidingStage, { stats })
}
