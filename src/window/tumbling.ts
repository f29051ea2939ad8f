import type { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import {
  BatchKeys, driveWindows, type Engine, type EventTimeOptions, KeyState, newAccumulators, newStats, numbersOf, readersOf, rejectTimeOptions,
  ResultLayout, type Results, timeSpec, type WindowOptions, windowSpec, type WindowSpec, type WindowStage, type WindowStats
} from './common.js'
import { parseDuration } from './duration.js'
import { Lru } from './lru.js'
import { timeWindowEngine } from './time-windows.js'

export type { WindowStats, WindowStage }

/** Options of {@link tumbling}: `size` (with the event-time options) or `count`. */
export interface TumblingOptions extends WindowOptions, EventTimeOptions {
  /** Window length by event time: `'1s'`, `'5m'` or milliseconds. Give this or `count`. */
  size?: string | number
  /** Window length in records (per key). Give this or `size`. */
  count?: number
}

/** A tumbling window stage (every window stage has this shape). */
export type TumblingStage = WindowStage

/**
 * Groups records into tumbling windows, by event time (`size` + `time`) or by count, per key or
 * globally, and emits one record per window and key: `{ window, end, ...keys, ...aggregates }`
 * (count windows: `window` is the key's window number, from 0, and there is no `end`).
 *
 * Time windows are [start, start + size) with starts at multiples of `size` since the epoch. The
 * watermark is the largest event time seen minus `allowedLateness` (default 0); a window closes
 * once the watermark reaches its end, so in-order input closes a window with the first record at
 * or past its end, and out-of-order records within the lateness land in their own window. Later
 * records follow `late`. Open windows are flushed (partial) at the end of input. Holds at most
 * `maxKeys` window states, each of constant size; results are yielded with the input batch (or
 * idle tick) that closed them.
 *
 * @example
 * ```ts
 * const w = tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean,min,max', value: 'value' })
 * for await (const batch of pipe(readings, w)) for (const r of batch) console.log(r.window, r.sensor, r.mean)
 * ```
 */
export function tumbling (options: TumblingOptions): TumblingStage {
  if (options === null || typeof options !== 'object') throw new TypeError('tumbling needs options: { size, time } or { count }')
  const byTime = options.size !== undefined
  if (byTime === (options.count !== undefined)) throw new TypeError('tumbling needs exactly one of "size" (a duration) or "count" (records)')
  const size = byTime ? parseDuration(options.size!, 'size') : positiveInteger('count', options.count)
  const time = byTime ? timeSpec(options, 'size') : undefined
  if (!byTime) rejectTimeOptions(options, 'count windows')
  const spec = windowSpec(options)
  if (!byTime) {
    const fn = spec.aggs.find(a => a.fn === 'rate')
    if (fn !== undefined) throw new TypeError('"aggregates": rate needs a window by time')
  }
  const stats = newStats()
  const layout = new ResultLayout(spec, byTime, time?.late === 'update', stats)
  const makeEngine = byTime ? timeWindowEngine(spec, time!, size, size, stats) : countWindowEngine(spec, size, stats)

  async function * tumblingStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch> {
    yield * driveWindows(batches, makeEngine(), layout, time)
  }
  return Object.assign(tumblingStage, { stats })
}

// Count windows: each key's records in groups of `size`, numbered from 0. At most maxKeys keys
// open; past it the least recently updated key's window is flushed early.
function countWindowEngine (spec: WindowSpec, size: number, stats: WindowStats): () => Engine {
  const { keyFields, fields, needs, maxKeys } = spec
  const nf = fields.length
  return function makeEngine (): Engine {
    const open = new Map<unknown, KeyState>()
    const lru = new Lru<KeyState>()
    let generation = 0
    return {
      ingest (batch: RecordBatch, out: Results): void {
        const n = batch.length
        const keys = new BatchKeys(batch, keyFields)
        const keyIds = keys.dict?.ids
        const { stateById } = keys
        const nums = numbersOf(batch, fields)
        const readers = readersOf(batch, fields)
        for (let i = 0; i < n; i++) {
          // (The key itself is needed only when the cache has no state for it.)
          const id = keyIds !== undefined ? keyIds[i]! : -1
          let st = id >= 0 ? stateById[id] : undefined
          if (st === undefined || st.gen !== generation) {
            const k = keys.key(i)
            st = open.get(k)
            if (st === undefined) {
              if (open.size >= maxKeys) {
                const old = lru.oldest!
                stats.earlyFlushes++
                if (old.count > 0) out.add(old, old.seq, NaN, true)
                lru.remove(old)
                open.delete(old.mapKey)
                generation++
              }
              st = new KeyState(keys.values(i), k, newAccumulators(needs))
              open.set(k, st)
              lru.add(st)
            }
            if (id >= 0) { stateById[id] = st; st.gen = generation }
          }
          st.count++
          lru.touch(st)
          const accs = st.accs
          for (let f = 0; f < nf; f++) {
            const col = nums[f]
            if (col !== undefined) accs[f]!.addNumber(col[i]!, 0)
            else accs[f]!.add(readers[f]!(i), 0)
          }
          stats.accepted++
          if (st.count === size) {
            out.add(st, st.seq, NaN, false)
            // Start the key's next window in place, keeping its number.
            st.count = 0
            st.seq++
            st.accs = newAccumulators(needs)
          }
        }
      },
      nextClose: () => Infinity,
      maxTime: () => -Infinity,
      advance: () => {},
      flush (out: Results): void {
        for (const st of open.values()) if (st.count > 0) out.add(st, st.seq, NaN, true)
        open.clear()
        lru.clear()
      }
    }
  }
}
