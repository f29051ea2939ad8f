import { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import { WeakStore } from './weak-store.js'

/** Options of {@link lastReadings}. */
export interface LastReadingsOptions {
  /** The field(s) that name a sensor, comma-separated or as an array. */
  key: string | readonly string[]
  /**
   * Most sensors remembered (their ids, row positions and times, never their readings). Past it,
   * the sensor not seen for longest is forgotten. Default 10000.
   */
  maxKeys?: number
  /** The wall clock, ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** One sensor in the view. */
export interface LastReading {
  key: string
  /** Its last reading, or undefined once the batch that held it has been collected. */
  reading: SensorRecord | undefined
  /** When it was last seen, ms since the epoch. */
  seenAt: number
}

/** The {@link lastReadings} stage: batches pass unchanged; `view()` and `format()` read the view. */
export type LastReadingsStage = Stage<RecordBatch | SensorRecord[], RecordBatch | SensorRecord[]> & {
  /** The weak store: sensor id → the batch holding its last reading. */
  readonly store: WeakStore<string, object>
  /** Every sensor remembered, sorted by id. */
  view: () => LastReading[]
  /** The view as text, one line per sensor, for a terminal or a log. */
  format: () => string
}

interface Seen { index: number, at: number }

/**
 * A view of the last reading of each sensor that never keeps a reading alive: batches pass on
 * unchanged, and for each sensor in a batch the view notes the batch (in a {@link WeakStore})
 * and the row. While the pipeline, or anything else, still holds that batch, `view()` shows the
 * reading; once the collector has taken it, the sensor shows as collected, with the time it was
 * last seen. On a fast file run batches go within milliseconds; on a slow serial line they stay
 * until the next collection, so the view shows what is still in memory, at no cost in memory.
 *
 * Holds per sensor an id, a row index and a time (bounded by `maxKeys`), plus one weak entry.
 * Per batch: one pass over the key column. The CLI's `--last-readings KEY` prints it on SIGUSR1.
 *
 * @example
 * ```ts
 * const last = lastReadings({ key: 'sensor' })
 * process.on('SIGUSR1', () => process.stderr.write(last.format()))
 * for await (const batch of pipe(fromFile('in.csv'), lines(), parseCsv({ columns }), last)) { ... }
 * ```
 */
export function lastReadings (options: LastReadingsOptions): LastReadingsStage {
  if (options === null || typeof options !== 'object') throw new TypeError('lastReadings needs { key }')
  const keys = typeof options.key === 'string' ? options.key.split(',').map(k => k.trim()) : Array.isArray(options.key) ? [...options.key] : []
  if (keys.length === 0 || keys.some(k => typeof k !== 'string' || k === '')) throw new TypeError('"key" must name the field(s) that identify a sensor')
  const maxKeys = positiveInteger('maxKeys', options.maxKeys ?? 10_000)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw new TypeError('"now" must be a function')
  const store = new WeakStore<string, object>()
  // Insertion order is recency order: a sensor seen again is moved to the end.
  const seen = new Map<string, Seen>()

  const note = (key: string, batch: object, index: number, at: number): void => {
    seen.delete(key)
    seen.set(key, { index, at })
    store.delete(key) // a live entry is never overwritten; this one is replaced on purpose
    store.add(key, batch)
    if (seen.size > maxKeys) {
      const oldest = seen.keys().next().value as string
      seen.delete(oldest)
      store.delete(oldest)
    }
  }

  const observe = (batch: RecordBatch | SensorRecord[]): void => {
    const rb = isRecordBatch(batch) ? batch : RecordBatch.fromRows(batch)
    const at = now()
    const dict = keys.length === 1 ? rb.dictionary(keys[0]!) : undefined
    if (dict !== undefined) {
      // One pass over the ids: the last row of each distinct sensor.
      const last = new Int32Array(dict.dict.length).fill(-1)
      const ids = dict.ids
      for (let i = 0; i < rb.length; i++) last[ids[i]!] = i
      // Noted in row order, so that the sensor seen last in the batch is the most recent.
      const present: number[] = []
      for (let id = 0; id < last.length; id++) if (last[id]! >= 0) present.push(id)
      present.sort((x, y) => last[x]! - last[y]!)
      for (const id of present) note(dict.dict[id]!, batch, last[id]!, at)
      return
    }
    const readers = keys.map(k => rb.reader(k))
    const last = new Map<string, number>()
    for (let i = 0; i < rb.length; i++) {
      let key = ''
      let missing = false
      for (let j = 0; j < readers.length; j++) {
        const v = readers[j]!(i)
        if (v === undefined || v === null) { missing = true; break }
        key = j === 0 ? String(v) : `${key},${String(v)}`
      }
      if (!missing) { last.delete(key); last.set(key, i) } // moved to the end: row order
    }
    for (const [key, i] of last) note(key, batch, i, at)
  }

  async function * lastReadingsStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch | SensorRecord[]> {
    for await (const batch of batches) {
      // The store keeps (weak) references to batches it passed on: their storage must not be reused.
      if (batch instanceof RecordBatch) batch.disown()
      if (batch.length > 0) observe(batch)
      yield batch
    }
  }

  const view = (): LastReading[] => {
    const out: LastReading[] = []
    for (const [key, s] of seen) {
      const batch = store.get(key) as RecordBatch | SensorRecord[] | undefined
      const reading = batch === undefined ? undefined : isRecordBatch(batch) ? batch.row(s.index) : batch[s.index]
      out.push({ key, reading, seenAt: s.at })
    }
    return out.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  }

  const format = (): string => {
    const v = view()
    const t = now()
    const alive = v.filter(r => r.reading !== undefined).length
    const width = Math.max(0, ...v.map(r => r.key.length))
    const lines = v.map(r => `  ${r.key.padEnd(width)}  ${r.reading === undefined ? '(collected)' : JSON.stringify(r.reading)}  seen ${((t - r.seenAt) / 1000).toFixed(1)} s ago`)
    return `last readings at ${new Date(t).toISOString()}: ${v.length} sensors, ${alive} still in memory (a weak view: it keeps none alive)\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`
  }

  return Object.assign(lastReadingsStage, { store, view, format })
}

// By shape, not `instanceof`: the CLI runs this module beside its own bundled copy of RecordBatch.
function isRecordBatch (batch: RecordBatch | SensorRecord[]): batch is RecordBatch {
  return !Array.isArray(batch) && typeof (batch as RecordBatch).dictionary === 'function' && typeof (batch as RecordBatch).row === 'function'
}
