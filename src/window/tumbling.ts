import { flat } from '../batch/intern.js'
import { asRecordBatch, type FieldReader, RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import { type Aggregate, aggregateValue, FieldAccumulator, parseAggregates } from './aggregates.js'
import { parseDuration } from './duration.js'
import { parseTimeField, timeOf } from './time.js'

export interface TumblingOptions {
  /** Window length by event time: `'1s'`, `'5m'` or milliseconds. Give this or `count`. */
  size?: string | number
  /** Window length in records (per key). Give this or `size`. */
  count?: number
  /** With `size`: the event-time field, `ts` or `ts:s` (epoch seconds). Numbers, digit strings and ISO 8601 are read. */
  time?: string
  /** Field(s) that key the windows: each distinct value gets its own window. Default: one global window. */
  key?: string | readonly string[]
  /** Aggregates: `'count,mean,min,max'` or `'mean:temp,max:hum'`. Default `'count'`. */
  aggregates?: string | ReadonlyArray<string | Aggregate>
  /** The field that aggregates without `:field` read. */
  value?: string
  /**
   * Most keys held open at once. A record with a new key past the bound flushes every open window
   * early (counted in `stats.earlyFlushes`), so a flood of distinct ids cannot grow memory.
   * Default 100000.
   */
  maxKeys?: number
}

/** Live counters of a {@link tumbling} stage. */
export interface WindowStats {
  /** Records added to a window. */
  accepted: number
  /** Records dropped because their time field is missing or not a time. */
  noTime: number
  /** Window results emitted (one per window and key). */
  emitted: number
  /** Times the key bound forced an early flush. */
  earlyFlushes: number
}

export type TumblingStage = Stage<RecordBatch | SensorRecord[], RecordBatch> & { readonly stats: WindowStats }

interface KeyState {
  keys: unknown[]
  count: number
  accs: FieldAccumulator[]
  /** For count windows: the window's sequence number for this key. */
  seq: number
}

/**
 * Groups records into tumbling windows, by event time (`size` + `time`) or by count, per key or
 * globally, and emits one record per window and key: `{ window, end, ...keys, ...aggregates }`
 * (count windows: `window` is the key's window number, from 0).
 *
 * Time windows start at multiples of `size` since the epoch. The input is taken to be in time
 * order: a record whose window differs from the open one closes it (every key) and opens its own;
 * the open window is flushed at the end of input. Holds one accumulator per open key (at most
 * `maxKeys`), each of constant size; results are yielded with the input batch that closed them.
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
  if (byTime && options.time === undefined) throw new TypeError('"time" (the event-time field) is needed with "size"')
  const { field: timeField, unit } = byTime ? parseTimeField(options.time!) : { field: '', unit: 'ms' as const }
  const keyFields = options.key === undefined ? [] : typeof options.key === 'string' ? options.key.split(',').map(s => s.trim()) : [...options.key]
  if (keyFields.some(k => typeof k !== 'string' || k === '')) throw new TypeError('"key" must be field names')
  const aggs = parseAggregates(options.aggregates ?? 'count', options.value)
  const maxKeys = positiveInteger('maxKeys', options.maxKeys ?? 100_000)
  const fields = [...new Set(aggs.flatMap(a => a.field === undefined ? [] : [a.field]))]
  const accIndex = aggs.map(a => a.field === undefined ? -1 : fields.indexOf(a.field))
  for (const a of aggs) if (keyFields.includes(a.as) || a.as === 'window' || a.as === 'end') throw new TypeError(`"aggregates": output name "${a.as}" clashes with a key or window field`)

  const stats: WindowStats = { accepted: 0, noTime: 0, emitted: 0, earlyFlushes: 0 }
  const nk = keyFields.length
  const k0 = keyFields[0]
  const nf = fields.length

  // Results are gathered column by column and handed on as a columnar batch.
  const outNames = ['window', ...(byTime ? ['end'] : []), ...keyFields, ...aggs.map(a => a.as)]
  class Results {
    n = 0
    readonly cols: unknown[][] = outNames.map(() => [])
    add (st: KeyState, window: number): void {
      const cols = this.cols
      let j = 0
      cols[j++]!.push(window)
      if (byTime) cols[j++]!.push(window + size)
      for (let k = 0; k < nk; k++) cols[j++]!.push(st.keys[k] ?? null)
      for (let a = 0; a < aggs.length; a++) {
        const f = accIndex[a]!
        cols[j++]!.push(aggregateValue(aggs[a]!.fn, st.count, f < 0 ? undefined : st.accs[f]))
      }
      this.n++
      stats.emitted++
    }

    batch (): RecordBatch | undefined {
      return this.n === 0 ? undefined : RecordBatch.fromColumns(outNames, this.cols, this.n)
    }
  }

  async function * tumblingStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch> {
    const open = new Map<unknown, KeyState>()
    let current = NaN
    // Bumped whenever open states are dropped, so per-batch caches of them go stale.
    let generation = 0
    const flush = (out: Results): void => {
      for (const st of open.values()) out.add(st, current)
      open.clear()
      generation++
    }
    const newState = (keyReaders: FieldReader[], i: number): KeyState => {
      const keys = new Array<unknown>(nk)
      for (let k = 0; k < nk; k++) { const v = keyReaders[k]!(i); keys[k] = typeof v === 'string' ? flat(v) : v }
      const accs = new Array<FieldAccumulator>(nf)
      for (let f = 0; f < nf; f++) accs[f] = new FieldAccumulator()
      return { keys, count: 0, accs, seq: 0 }
    }
    for await (const input of batches) {
      const batch = asRecordBatch(input)
      const n = batch.length
      const out = new Results()
      // Per batch: unboxed columns where the batch has them, readers otherwise.
      const times = byTime && unit === 'ms' ? batch.numbers(timeField) : undefined
      const timeReader = byTime && times === undefined ? batch.reader(timeField) : undefined
      const keyReaders = keyFields.map(k => batch.reader(k))
      // A dictionary-encoded key is looked up once per distinct value per batch, not per record:
      // stateById caches the open state of each dictionary id until the next flush or eviction.
      const keyDict = nk === 1 ? batch.dictionary(k0!) : undefined
      const keyIds = keyDict?.ids
      const stateById: Array<KeyState | undefined> = keyDict === undefined ? [] : new Array(keyDict.dict.length)
      const stateGen = keyDict === undefined ? undefined : new Int32Array(keyDict.dict.length).fill(-1)
      const keyValues = nk === 1 && keyDict === undefined ? batch.values(k0!) : undefined
      const keyReader = keyReaders[0]
      const fieldNumbers = fields.map(f => batch.numbers(f))
      const fieldReaders = fields.map(f => batch.reader(f))
      for (let i = 0; i < n; i++) {
        let k: unknown
        let id = -1
        if (keyIds !== undefined) { id = keyIds[i]!; k = keyDict!.dict[id] } else if (nk === 0) k = ''
        else if (keyValues !== undefined) k = keyValues[i]
        else if (nk === 1) k = keyReader!(i)
        else {
          let s = ''
          for (let j = 0; j < nk; j++) { const v = keyReaders[j]!(i); s += (typeof v === 'string' ? 's' + v : typeof v + String(v)) + '\u0000' }
          k = s
        }
        let st: KeyState | undefined
        if (byTime) {
          const t = times !== undefined ? times[i]! : timeOf(timeReader!(i), unit)
          if (t !== t) { stats.noTime++; continue }
          // Most records fall in the open window: test that before paying for a float modulo.
          if (!(t >= current && t < current + size)) {
            const ws = t - (((t % size) + size) % size)
            if (open.size > 0) flush(out)
            current = ws
          }
          if (id >= 0 && stateGen![id] === generation) st = stateById[id]!
          else {
            st = open.get(k)
            if (st === undefined) {
              if (open.size >= maxKeys) { stats.earlyFlushes++; flush(out) }
              st = newState(keyReaders, i)
              open.set(k, st)
            }
            if (id >= 0) { stateById[id] = st; stateGen![id] = generation }
          }
        } else {
          st = open.get(k)
          if (st === undefined) {
            if (open.size >= maxKeys) {
              // Flush the oldest open key early: Map iteration order is insertion order.
              stats.earlyFlushes++
              const [oldKey, old] = open.entries().next().value as [unknown, KeyState]
              if (old.count > 0) out.add(old, old.seq)
              open.delete(oldKey)
            }
            st = newState(keyReaders, i)
            open.set(k, st)
          }
        }
        st.count++
        for (let f = 0; f < nf; f++) {
          const nums = fieldNumbers[f]
          if (nums !== undefined) st.accs[f]!.addNumber(nums[i]!)
          else st.accs[f]!.add(fieldReaders[f]!(i))
        }
        stats.accepted++
        if (!byTime && st.count === size) {
          out.add(st, st.seq)
          // Start the key's next window in place, keeping its number.
          st.count = 0
          st.seq++
          for (let f = 0; f < nf; f++) st.accs[f] = new FieldAccumulator()
        }
      }
      const results = out.batch()
      if (results !== undefined) yield results
    }
    // End of input: the open windows are results too.
    const out = new Results()
    if (byTime) {
      if (open.size > 0) flush(out)
    } else {
      for (const st of open.values()) if (st.count > 0) out.add(st, st.seq)
      open.clear()
    }
    const results = out.batch()
    if (results !== undefined) yield results
  }
  return Object.assign(tumblingStage, { stats })
}
