// What every window stage shares: option checking, per-key state, the columnar results, reading
// keys from a batch, and the loop that feeds batches in and, with an idle timeout, lets the wall
// clock close windows while the source is quiet.
import { Pool } from '../batch/owned.js'
import { flat } from '../batch/intern.js'
import { asRecordBatch, type ColumnData, type DictColumn, type FieldReader, RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import { type AccumulatorNeeds, accumulatorNeeds, type Aggregate, type AggregateName, aggregateValue, FieldAccumulator, parseAggregates } from './aggregates.js'
import { type Clock, systemClock } from './clock.js'
import { parseDuration } from './duration.js'
import type { LruNode } from './lru.js'
import { parseTimeSource, type TimeSource } from './time.js'
import { mapArray } from '../util/arrays.js'

/** Live counters of a window stage. */
export interface WindowStats {
  /** Records added to a window (with `late: 'update'`, late records added to a closed window too). */
  accepted: number
  /** Records dropped because their time field is missing or not a time. */
  noTime: number
  /** Window results emitted (one per window and key, corrections included). */
  emitted: number
  /** Windows flushed before they closed because `maxKeys` was reached. */
  earlyFlushes: number
  /** Records that arrived after all their windows had closed, whatever the `late` policy did with them. */
  late: number
  /** Late records that went nowhere: `late: 'drop'`, or `'update'` when their window was no longer held. */
  lateDropped: number
  /** Corrected results emitted for late records (`late: 'update'`). */
  updates: number
  /** Results of windows that had not closed: flushed early by `maxKeys`, or at the end of input. */
  partial: number
}

/** Fresh counters, all zero. */
export function newStats (): WindowStats {
  return { accepted: 0, noTime: 0, emitted: 0, earlyFlushes: 0, late: 0, lateDropped: 0, updates: 0, partial: 0 }
}

/** What happens to a record later than the watermark allows: see {@link EventTimeOptions.late}. */
export type LatePolicy = 'drop' | 'emit' | 'update'

/** Options every window stage takes. */
export interface WindowOptions {
  /** Field(s) that key the windows: each distinct value gets its own window. Default: one global window. */
  key?: string | readonly string[]
  /** Aggregates: `'count,mean,min,max'`, `'mean:temp,max:hum,p99:temp'`. Default `'count'`. */
  aggregates?: string | ReadonlyArray<string | Aggregate>
  /** The field that aggregates without `:field` read. */
  value?: string
  /**
   * Most window states held open at once (one per window and key). A record that needs a new one
   * past the bound first flushes the least recently updated window early (counted in
   * `stats.earlyFlushes`, marked partial), so a flood of distinct ids cannot grow memory.
   * With `late: 'update'`, as many closed windows are kept for corrections. Default 100000.
   */
  maxKeys?: number
  /** Add a `partial` field (true or false) to every result: true for windows flushed before they closed. Default false. */
  markPartial?: boolean
  /** Relative accuracy of the percentile sketch (`pNN` aggregates). Default 0.01. */
  relativeAccuracy?: number
  /**
   * Fill the number columns of released result batches again instead of allocating per batch
   * (at most 2 sets wait). Then a result batch must not be read after its consumer released it
   * (see `Owned`; `toJsonLines` releases each batch once written). Default false.
   */
  reuse?: boolean
}

/** Options of the event-time window stages (tumbling by time, sliding, session). */
export interface EventTimeOptions {
  /**
   * The event time: a field (`ts`, `ts:ms`, `ts:s` for epoch seconds; numbers, digit strings and
   * ISO 8601 strings are read) or `'arrival'` for the clock's time when each batch arrives.
   */
  time?: string
  /**
   * How far event time may run back: the watermark is the largest event time seen minus this, and
   * a window closes once the watermark reaches its end. `'5s'` or milliseconds. Default 0.
   */
  allowedLateness?: string | number
  /**
   * A record whose windows have all closed: `'drop'` it (counted), `'emit'` it to `onLate`, or
   * `'update'`: add it to its closed window and emit that window again, corrected. Default `'drop'`.
   */
  late?: LatePolicy
  /** Receives each late record with `late: 'emit'`. Called synchronously; an error it throws rejects the stage. */
  onLate?: (record: SensorRecord) => void
  /**
   * When no batch arrives for this long (`'5s'` or ms), the watermark moves on with the wall clock,
   * so the windows of a quiet source still close. Default: off (with `time: 'arrival'`, 0: the
   * clock always drives the watermark).
   */
  idleTimeout?: string | number
  /** Where arrival time and the idle timer read the time. Default {@link systemClock}. */
  clock?: Clock
}

/** A window stage: record batches in, one result batch per input batch that closed windows. */
export type WindowStage = Stage<RecordBatch | SensorRecord[], RecordBatch> & { readonly stats: WindowStats }

/** The checked form of {@link WindowOptions}. */
export interface WindowSpec {
  keyFields: string[]
  aggs: Aggregate[]
  /** Distinct fields the aggregates read. */
  fields: string[]
  /** For each aggregate, its field's index in `fields`, or -1. */
  accIndex: number[]
  needs: AccumulatorNeeds[]
  maxKeys: number
  markPartial: boolean
  reuse: boolean
}

/** Checks the options every window stage takes (TypeErrors name the option). */
export function windowSpec (options: WindowOptions): WindowSpec {
  const keyFields = options.key === undefined ? [] : typeof options.key === 'string' ? options.key.split(',').map(s => s.trim()) : [...options.key]
  if (keyFields.some(k => typeof k !== 'string' || k === '')) throw new TypeError('"key" must be field names')
  const aggs = parseAggregates(options.aggregates ?? 'count', options.value)
  const maxKeys = positiveInteger('maxKeys', options.maxKeys ?? 100_000)
  const fields = [...new Set(aggs.flatMap(a => a.field === undefined ? [] : [a.field]))]
  const accIndex = aggs.map(a => a.field === undefined ? -1 : fields.indexOf(a.field))
  const reserved = ['window', 'end', 'partial', 'revision']
  for (const a of aggs) if (keyFields.includes(a.as) || reserved.includes(a.as)) throw new TypeError(`"aggregates": output name "${a.as}" clashes with a key or window field`)
  if (options.markPartial !== undefined && typeof options.markPartial !== 'boolean') throw new TypeError('"markPartial" must be true or false')
  if (options.reuse !== undefined && typeof options.reuse !== 'boolean') throw new TypeError('"reuse" must be true or false')
  const ra = options.relativeAccuracy
  if (ra !== undefined && (typeof ra !== 'number' || !(ra > 0 && ra < 1))) throw new TypeError(`"relativeAccuracy" must be a number between 0 and 1, got ${String(ra)}`)
  return { keyFields, aggs, fields, accIndex, needs: accumulatorNeeds(aggs, fields, ra), maxKeys, markPartial: options.markPartial === true, reuse: options.reuse === true }
}

/** The checked form of {@link EventTimeOptions}. */
export interface TimeSpec {
  time: TimeSource
  lateness: number
  late: LatePolicy
  onLate: ((record: SensorRecord) => void) | undefined
  /** Undefined: the watermark moves only with event time. */
  idleTimeout: number | undefined
  clock: Clock
}

const LATE = ['drop', 'emit', 'update']

/** Checks the event-time options; `needsTime` names the option that makes `time` required. */
export function timeSpec (o: EventTimeOptions, needsTime: string): TimeSpec {
  if (o.time === undefined) throw new TypeError(`"time" (the event-time field, or 'arrival') is needed with "${needsTime}"`)
  const time = parseTimeSource(o.time)
  const lateness = parseDuration(o.allowedLateness ?? 0, 'allowedLateness', true)
  const late = o.late ?? 'drop'
  if (!LATE.includes(late)) throw new TypeError(`"late" must be drop, emit or update, got ${JSON.stringify(late)}`)
  if (late === 'emit' && typeof o.onLate !== 'function') throw new TypeError('"onLate" (a function receiving each late record) is needed with late: \'emit\'')
  if (o.onLate !== undefined && typeof o.onLate !== 'function') throw new TypeError('"onLate" must be a function')
  const idleTimeout = o.idleTimeout !== undefined ? parseDuration(o.idleTimeout, 'idleTimeout') : time.kind === 'arrival' ? 0 : undefined
  const clock = o.clock ?? systemClock
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw new TypeError('"clock" must have now(), setTimeout() and clearTimeout()')
  }
  return { time, lateness, late, onLate: o.onLate, idleTimeout, clock }
}

/** Throws when an event-time option is given to a count window. */
export function rejectTimeOptions (o: EventTimeOptions, kind: string): void {
  for (const name of ['allowedLateness', 'late', 'onLate', 'idleTimeout'] as const) {
    if (o[name] !== undefined) throw new TypeError(`"${name}" applies to windows by time, not to ${kind}`)
  }
}

/** The state of one window of one key: its count, one accumulator per field, its place in the LRU list. */
export class KeyState implements LruNode {
  newer: KeyState | null = null
  older: KeyState | null = null
  /** Sequence number of the last record added (for least-recently-updated eviction). */
  touched = 0
  count = 0
  /** Count windows: the key's window number. Others: results emitted before for this window and key. */
  seq = 0
  /** Time windows: the window it belongs to. */
  slot: Slot | undefined = undefined
  /** Time windows: its place in the window's `SlotStates.list`. */
  pos = 0
  /**
   * The engine's generation (moved on whenever the current window changes or states are dropped)
   * in which this state was last found to be its key's state in the current window, -1 for none:
   * while the two are equal, a cache (`BatchKeys.stateById`) may hand it out without a lookup.
   */
  gen = -1
  constructor (public keys: unknown[], public mapKey: unknown, public accs: FieldAccumulator[]) {}

  /** Makes a closed window's state (a stale one, see SlotStates) the fresh state of a window and key. */
  reuse (keys: unknown[], mapKey: unknown): this {
    this.keys = keys
    this.mapKey = mapKey
    return this.reset()
  }

  /** Empties the state for a new window of the same key (its keys stay). */
  reset (): this {
    this.newer = this.older = null
    this.touched = this.count = this.seq = 0
    this.slot = undefined
    for (let f = 0; f < this.accs.length; f++) this.accs[f]!.reset()
    return this
  }
}

/** One window (start, end) of a time-window stage and the states of its keys. */
export interface Slot {
  start: number
  end: number
  states: SlotStates
}

/**
 * The states of one time window by key. A closed window's `SlotStates` is handed to a later
 * window with its keys still in the map: their states are stale (their `slot` is another window)
 * and are revived in place when the key comes again, so a steady set of keys changes neither the
 * map nor the list from one window to the next.
 *
 * That is about memory, not speed: a long-lived `Map` that is cleared and refilled (or a fresh
 * one that outlives a scavenge and then grows) gets every new hash table in V8's old space, where
 * only a full mark-compact frees it: 16 MB of dead tables per collection on the reference job's
 * 20M lines, the largest part of its peak heap. The engine bounds the stale states it keeps.
 */
export class SlotStates {
  /** Live states (`slot === owner`) and stale ones, by key. */
  readonly map = new Map<unknown, KeyState>()
  /** Live states in order of arrival, `null` where one was removed; `list[0..end)` is in use. */
  readonly list: Array<KeyState | null> = []
  end = 0
  /** Live states. */
  size = 0
  owner: Slot | undefined = undefined

  /** This window's state for key `k`, if it has one. */
  get (k: unknown): KeyState | undefined {
    const st = this.map.get(k)
    return st !== undefined && this.isLive(st) ? st : undefined
  }

  /** Whether `st`, a state of this map, is live in this window (not stale). */
  isLive (st: KeyState): boolean {
    return st.slot === this.owner
  }

  /**
   * The state in the map for key `k`, live (`slot === owner`) or stale, or undefined: one lookup
   * for the engines' common step, a key's first record in a window, which revives the stale
   * state (see {@link add}'s `inMap`) instead of looking the key up three times.
   */
  find (k: unknown): KeyState | undefined {
    return this.map.get(k)
  }

  /**
   * Makes `st` (its `mapKey` set) a live state of this window. `inMap`: the caller knows that the
   * map holds `st` under its key already (a stale state it found there).
   */
  add (st: KeyState, inMap = false): void {
    st.slot = this.owner
    if (!inMap && this.map.get(st.mapKey) !== st) this.map.set(st.mapKey, st)
    st.pos = this.end
    this.list[this.end++] = st
    this.size++
  }

  /** Removes a live state (an early flush): its key leaves the map too. */
  remove (st: KeyState): void {
    this.list[st.pos] = null
    this.map.delete(st.mapKey)
    st.slot = undefined
    this.size--
    if (this.end > 64 && this.end > 2 * this.size) this.#compact()
  }

  /** The live states, in order of arrival (hot loops walk `list[0..end)` themselves). */
  * values (): Generator<KeyState> {
    const list = this.list
    for (let j = 0; j < this.end; j++) { const st = list[j]; if (st !== null && st !== undefined) yield st }
  }

  /** Hands this (closed) window's keys to window `owner`: every state it holds becomes stale. */
  reopen (owner: Slot): void {
    this.owner = owner
    this.end = this.size = 0
  }

  #compact (): void {
    const list = this.list
    let w = 0
    for (let j = 0; j < this.end; j++) {
      const st = list[j]
      if (st !== null && st !== undefined) { st.pos = w; list[w++] = st }
    }
    for (let j = w; j < this.end; j++) list[j] = null
    this.end = w
  }
}

/** Whether a state with these accumulators can be reset and reused (none keeps a sketch or moments). */
export function plainAccumulators (needs: readonly AccumulatorNeeds[]): boolean {
  return newAccumulators(needs).every(a => a.plain)
}

/** Makes the fresh accumulators of a window state. */
export function newAccumulators (needs: readonly AccumulatorNeeds[]): FieldAccumulator[] {
  const accs = new Array<FieldAccumulator>(needs.length)
  for (let f = 0; f < needs.length; f++) accs[f] = new FieldAccumulator(needs[f])
  return accs
}

/**
 * The columns of a stage's results, handed on as one columnar batch per input batch: `window`,
 * `end` (time windows), the key fields, the aggregates, then `partial` (with `markPartial`) and
 * `revision` (with `late: 'update'`).
 */
export class ResultLayout {
  readonly names: string[]
  /** Per column: whether its values are numbers (or, rarely, null). */
  readonly numeric: boolean[]
  constructor (readonly spec: WindowSpec, readonly hasEnd: boolean, readonly revision: boolean, readonly stats: WindowStats) {
    this.names = ['window', ...(hasEnd ? ['end'] : []), ...spec.keyFields, ...spec.aggs.map(a => a.as),
      ...(spec.markPartial ? ['partial'] : []), ...(revision ? ['revision'] : [])]
    this.numeric = [...(hasEnd ? [true, true] : [true]), ...spec.keyFields.map(() => false),
      ...spec.aggs.map(a => NUMERIC.has(a.fn) || a.fn.startsWith('p')), ...(spec.markPartial ? [false] : []), ...(revision ? [false] : [])]
    this.f64 = spec.reuse ? this.numeric.map(() => new Pool<Float64Array>(2, a => a.length)) : undefined
  }

  /** Results per batch lately: the columns of the next batch are made this long up front. */
  capacity = 0
  /**
   * With `reuse`: the Float64Arrays of released result batches, per column. Without it, a result
   * batch's arrays (tens of KB per batch) are garbage once written, and V8 frees such memory only
   * at its next collection, which the rest of a columnar pipeline, allocating little on the heap,
   * makes rare: sliding windows held 15-20 MiB of them.
   */
  readonly f64: Array<Pool<Float64Array>> | undefined

  results (): Results { return new Results(this) }
}

/**
 * One batch's results, column by column; `add` counts each in the stage's stats. A number column
 * is filled straight into a Float64Array (handed on unboxed, as parsed columns are, without a
 * copy), until a value that is not a number comes (a `null` aggregate): from then on, for this
 * batch, that column is an array of values.
 */
export class Results {
  n = 0
  // Per column: its numbers while it is a number column (an empty array otherwise, which is how
  // a column is told to be one of values), and its values otherwise (an empty array while it
  // holds numbers). Two arrays of one element type each, so every write in add() is monomorphic.
  readonly #nums: Float64Array[]
  readonly #vals: unknown[][]
  readonly #fns: AggregateName[]
  readonly #accIndex: number[]
  readonly #hasEnd: boolean
  readonly #nk: number
  readonly #partial: boolean
  readonly #revision: boolean
  readonly #stats: WindowStats
  #cap: number
  constructor (readonly layout: ResultLayout) {
    // Made as long as lately needed, a power of two (so that, with reuse, an array handed back
    // fits the next batches though their sizes vary), grown by doubling, trimmed in batch().
    const cap = this.#cap = 2 ** Math.ceil(Math.log2(Math.max(16, layout.capacity)))
    const pools = layout.f64
    this.#nums = mapArray(layout.numeric, (numeric, j) => numeric ? pools?.[j]!.take(a => a.length >= cap) ?? new Float64Array(cap) : NO_NUMBERS)
    // (A literal per kind: V8 remembers per allocation site the most general element kind its
    // arrays held, and a key column holds strings.)
    this.#vals = mapArray(layout.numeric, numeric => numeric ? [] : new Array<unknown>(cap).fill(null))
    this.#fns = mapArray(layout.spec.aggs, a => a.fn)
    this.#accIndex = layout.spec.accIndex
    this.#hasEnd = layout.hasEnd
    this.#nk = layout.spec.keyFields.length
    this.#partial = layout.spec.markPartial
    this.#revision = layout.revision
    this.#stats = layout.stats
  }

  // Column j of row n: v, a number into a number column (which a non-number turns into values).
  #set (j: number, n: number, v: unknown): void {
    const nums = this.#nums[j]!
    if (nums.length > 0) {
      if (typeof v === 'number') { nums[n] = v; return }
      this.#box(j, n)
    }
    this.#vals[j]![n] = v
  }

  // From row n on, column j holds values: its numbers so far become values.
  #box (j: number, n: number): void {
    const nums = this.#nums[j]!
    const vals = new Array<unknown>(this.#cap)
    for (let k = 0; k < n; k++) vals[k] = nums[k]
    this.#vals[j] = vals
    this.layout.f64?.[j]!.give(nums)
    this.#nums[j] = NO_NUMBERS
  }

  // Doubles the room of every number column (a column of values is an array, which grows as it is written).
  #grow (): void {
    const cap = this.#cap * 2
    const nums = this.#nums
    for (let j = 0; j < nums.length; j++) {
      const old = nums[j]!
      if (old.length === 0) continue
      const f = new Float64Array(cap)
      f.set(old.subarray(0, this.n))
      this.layout.f64?.[j]!.give(old)
      nums[j] = f
    }
    this.#cap = cap
  }

  add (st: KeyState, window: number, end: number, partial: boolean): void {
    const n = this.n
    if (n === this.#cap) this.#grow()
    const fns = this.#fns
    const accIndex = this.#accIndex
    const nums = this.#nums
    const vals = this.#vals
    // (window and end are always numbers: their columns stay numeric.)
    let j = 0
    nums[j++]![n] = window
    if (this.#hasEnd) nums[j++]![n] = end
    for (let k = 0; k < this.#nk; k++) vals[j++]![n] = st.keys[k] ?? null
    for (let a = 0; a < fns.length; a++) {
      const f = accIndex[a]!
      const acc = f < 0 ? undefined : st.accs[f]
      const fn = fns[a]!
      // The plain numeric aggregates inline, straight into the column: a double returned from a
      // call is boxed, and this runs for every value of every result.
      if (f < 0 && fn === 'count' && nums[j]!.length > 0) { nums[j++]![n] = st.count; continue }
      if (acc !== undefined && acc.n > 0 && nums[j]!.length > 0) {
        if (fn === 'mean') { nums[j++]![n] = acc.sum / acc.n; continue }
        if (fn === 'min') { nums[j++]![n] = acc.min; continue }
        if (fn === 'max') { nums[j++]![n] = acc.max; continue }
        if (fn === 'sum') { nums[j++]![n] = acc.sum; continue }
      }
      this.#set(j++, n, aggregateValue(fn, st.count, acc))
    }
    if (this.#partial) vals[j++]![n] = partial
    if (this.#revision) vals[j++]![n] = st.seq
    this.n++
    this.#stats.emitted++
    if (partial) this.#stats.partial++
  }

  batch (): RecordBatch | undefined {
    const n = this.n
    const layout = this.layout
    layout.capacity = n > layout.capacity ? n + (n >> 2) : (layout.capacity + n) >> 1
    const nums = this.#nums
    const vals = this.#vals
    const pools = layout.f64
    if (n === 0) {
      if (pools !== undefined) for (let j = 0; j < nums.length; j++) if (nums[j]!.length > 0) pools[j]!.give(nums[j]!)
      return undefined
    }
    // A number column goes out unboxed, a view of its first n numbers; the rest as they are.
    const out: ColumnData[] = new Array(nums.length)
    let lent = false
    for (let j = 0; j < nums.length; j++) {
      const f = nums[j]!
      if (f.length > 0) {
        out[j] = f.length === n ? f : f.subarray(0, n)
        lent = true
      } else {
        const col = vals[j]!
        if (col.length > n) col.length = n
        out[j] = col
      }
    }
    if (pools === undefined || !lent) return RecordBatch.fromColumns(layout.names, out, n)
    // With reuse: the arrays go back to the pools once the batch is released.
    return RecordBatch.fromColumns(layout.names, out, n, () => { for (let j = 0; j < nums.length; j++) if (nums[j]!.length > 0) pools[j]!.give(nums[j]!) })
  }
}

// The aggregates whose values are numbers (or, rarely, null).
const NUMERIC = new Set<string>(['count', 'sum', 'mean', 'min', 'max', 'variance', 'stddev', 'delta', 'rate'])
const NO_NUMBERS = new Float64Array(0)

/** Per batch, per field: its unboxed column, or undefined where the batch has none. */
export type Numbers = Array<Float64Array | undefined>
/** Per batch, per field: its reader by row index. */
export type Readers = Array<(i: number) => unknown>

// These per-batch arrays are made by mapArray (src/util/arrays.ts), not `map`: an
// `Array.prototype.map` inlined into optimized code makes its result with another hidden class
// than the builtin does, so a hot loop reading one deoptimized each time the caller's code
// changed tier ("wrong map"), and ran unoptimized meanwhile.
/** Each field's unboxed column in `batch` (see {@link Numbers}). */
export function numbersOf (batch: RecordBatch, fields: readonly string[]): Numbers {
  return mapArray(fields, f => batch.numbers(f))
}

/** Each field's reader in `batch` (see {@link Readers}). */
export function readersOf (batch: RecordBatch, fields: readonly string[]): Readers {
  return mapArray(fields, f => batch.reader(f))
}

/** Reads the key of each row of one batch, for the general (not dictionary-cached) paths. */
export class BatchKeys {
  readonly readers: FieldReader[]
  /** One key field, dictionary-encoded in this batch. */
  readonly dict: DictColumn | undefined
  /** One key field, a columnar one that is not dictionary-encoded. */
  readonly column: ArrayLike<unknown> | undefined
  /**
   * For a dictionary-encoded key, a cache for hot loops, so that a key is looked up once per
   * distinct value per window and batch, not per record: per dictionary id, the state last looked
   * up, valid while its `gen` is the engine's generation. Empty without a dictionary.
   */
  readonly stateById: Array<KeyState | undefined>
  constructor (batch: RecordBatch, readonly fields: readonly string[]) {
    this.readers = readersOf(batch, fields)
    const dict = this.dict = fields.length === 1 ? batch.dictionary(fields[0]!) : undefined
    // (values() of a dictionary column would decode it in place: only for other columns.)
    this.column = fields.length === 1 && dict === undefined ? batch.values(fields[0]!) : undefined
    this.stateById = dict === undefined ? [] : new Array<KeyState | undefined>(dict.dict.length)
  }

  /** The map key of row i: the value for one key field, a string made of all of them otherwise. */
  key (i: number): unknown {
    const nk = this.fields.length
    if (nk === 0) return ''
    if (this.dict !== undefined) return this.dict.dict[this.dict.ids[i]!]
    if (this.column !== undefined) return this.column[i]
    if (nk === 1) return this.readers[0]!(i)
    return compositeKey(this.readers, i)
  }

  /** The key values of row i, strings flattened so they do not pin the batch's text. */
  values (i: number): unknown[] {
    return keyValues(this.readers, i)
  }
}

/** A map key for several key fields that keeps `1` and `'1'` apart. */
export function compositeKey (readers: readonly FieldReader[], i: number): string {
  let s = ''
  for (let j = 0; j < readers.length; j++) { const v = readers[j]!(i); s += (typeof v === 'string' ? 's' + v : typeof v + String(v)) + '\u0000' }
  return s
}

/** The key values of row i, strings flattened so they do not pin the batch's text. */
export function keyValues (readers: readonly FieldReader[], i: number): unknown[] {
  const keys = new Array<unknown>(readers.length)
  for (let k = 0; k < readers.length; k++) { const v = readers[k]!(i); keys[k] = typeof v === 'string' ? flat(v) : v }
  return keys
}

/** The per-run state of a window stage, driven by {@link driveWindows}. */
export interface Engine {
  /** Adds a batch; results of the windows it closes go to `out`. `arrival` is the clock's time now. */
  ingest: (batch: RecordBatch, out: Results, arrival: number) => void
  /** The event time at which the next open window closes (Infinity when none is open). */
  nextClose: () => number
  /** The largest event time seen (-Infinity before any). */
  maxTime: () => number
  /** Raises the watermark to `watermark` (the source is idle) and closes what is due. */
  advance: (watermark: number, out: Results) => void
  /** End of input: every open window, as a partial result. */
  flush: (out: Results) => void
}

const TICK = Symbol('tick')

/**
 * Feeds batches to an engine and yields each batch of results as soon as the input batch (or,
 * with an idle timeout, the timer) that closed them has been handled; flushes at the end of input.
 * With an idle timeout it drives the source by hand: the pending `next()` races one timer, set
 * for the wall-clock moment the next open window would close; in `finally` the timer is cleared
 * and the source returned (not awaited while a `next()` is pending, as it-merge advises).
 */
export async function * driveWindows (batches: AsyncIterable<RecordBatch | SensorRecord[]>, engine: Engine, layout: ResultLayout, timing: TimeSpec | undefined): AsyncGenerator<RecordBatch> {
  const clock = timing?.clock ?? systemClock
  const arrival = timing?.time.kind === 'arrival'
  const idleTimeout = timing?.idleTimeout
  if (idleTimeout === undefined) {
    for await (const input of batches) {
      const out = layout.results()
      const batch = asRecordBatch(input)
      engine.ingest(batch, out, arrival ? clock.now() : NaN)
      batch.release() // engines keep aggregates, never the batch
      const results = out.batch()
      if (results !== undefined) yield results
    }
  } else {
    const lateness = timing!.lateness
    const it = batches[Symbol.asyncIterator]()
    let pending: Promise<IteratorResult<RecordBatch | SensorRecord[]>> | undefined
    let timer: unknown
    let finished = false
    let lastArrival = clock.now()
    try {
      for (;;) {
        pending ??= it.next()
        // When the watermark, moving with the wall clock after `idleTimeout` of silence, reaches
        // the end of the next open window.
        const end = engine.nextClose()
        const maxT = engine.maxTime()
        let r: IteratorResult<RecordBatch | SensorRecord[]> | typeof TICK
        if (end === Infinity || maxT === -Infinity) r = await pending
        else {
          const due = lastArrival + Math.max(idleTimeout, end + lateness - maxT)
          const tick = new Promise<typeof TICK>(resolve => { timer = clock.setTimeout(() => resolve(TICK), Math.max(0, due - clock.now())) })
          r = await Promise.race([pending, tick])
          clock.clearTimeout(timer)
          timer = undefined
        }
        if (r === TICK) {
          const idle = clock.now() - lastArrival
          if (idle >= idleTimeout) {
            const out = layout.results()
            engine.advance(engine.maxTime() + idle - lateness, out)
            const results = out.batch()
            if (results !== undefined) yield results
          }
          continue
        }
        pending = undefined
        if (r.done === true) { finished = true; break }
        lastArrival = clock.now()
        const out = layout.results()
        const batch = asRecordBatch(r.value)
        engine.ingest(batch, out, lastArrival)
        batch.release()
        const results = out.batch()
        if (results !== undefined) yield results
      }
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer)
      if (!finished) {
        if (pending === undefined) await it.return?.()
        else {
          // The source is busy with a next() that may never settle (a quiet device): ask it to
          // return when it can, but do not wait for that.
          pending.catch(() => {})
          it.return?.()?.catch(() => {})
        }
      }
    }
  }
  const out = layout.results()
  engine.flush(out)
  const results = out.batch()
  if (results !== undefined) yield results
}
