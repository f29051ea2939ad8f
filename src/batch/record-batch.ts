import type { SensorRecord } from '../types.js'
import { Owned } from './owned.js'
import { mapArray } from '../util/arrays.js'

/**
 * A string column stored as indices into a dictionary of its distinct values, so a repeated
 * value (a sensor id) is one string however many rows hold it, and a consumer can work per
 * distinct value (look a key up once, JSON-escape it once) rather than per row.
 */
export class DictColumn {
  /** `dict[ids[i]]` is row i's value. */
  constructor (readonly ids: Int32Array, readonly dict: readonly string[]) {}
  get length (): number { return this.ids.length }
  /** The values as a plain array. */
  toArray (): string[] {
    const out = new Array<string>(this.ids.length)
    for (let i = 0; i < out.length; i++) out[i] = this.dict[this.ids[i]!]!
    return out
  }
}

/** A column of a columnar batch: numbers unboxed, strings dictionary-encoded, anything else as values. */
export type ColumnData = Float64Array | DictColumn | unknown[]

/** Reads field values of a batch by row index. */
export type FieldReader = (i: number) => unknown

/**
 * A batch of records, the unit that flows between record stages. It is either row-backed (an
 * array of plain objects, as JSON lines parse to) or columnar (one array per field, numbers in a
 * `Float64Array`, as typed CSV parses to), so hot stages can loop over unboxed columns while
 * user code still sees plain records: iterating, `row(i)` and `toRows()` give objects.
 */
export class RecordBatch extends Owned implements Iterable<SensorRecord> {
  readonly length: number
  readonly #rows: SensorRecord[] | undefined
  readonly #fields: readonly string[] | undefined
  readonly #columns: ColumnData[] | undefined

  private constructor (length: number, rows: SensorRecord[] | undefined, fields: readonly string[] | undefined, columns: ColumnData[] | undefined, recycle?: () => void) {
    super(recycle)
    this.length = length
    this.#rows = rows
    this.#fields = fields
    this.#columns = columns
  }

  /** A row-backed batch; the array is used as is, not copied. */
  static fromRows (rows: SensorRecord[]): RecordBatch {
    return new RecordBatch(rows.length, rows, undefined, undefined)
  }

  /**
   * A columnar batch: `columns[j]` holds field `fields[j]` for rows 0..length-1 (column arrays may
   * be longer). `recycle`, for a stage that pools column storage, hands the columns back at the
   * batch's last `release()` (see {@link Owned}).
   */
  static fromColumns (fields: readonly string[], columns: ColumnData[], length: number, recycle?: () => void): RecordBatch {
    if (fields.length !== columns.length) throw new TypeError('fromColumns: one column per field')
    return new RecordBatch(length, undefined, fields, columns, recycle)
  }

  /** True when the batch is columnar. */
  get columnar (): boolean { return this.#columns !== undefined }

  /** The field names of a columnar batch, or undefined for a row-backed one. */
  get fields (): readonly string[] | undefined { return this.#fields }

  /** The unboxed numbers of a columnar numeric field, or undefined. Read-only by convention. */
  numbers (field: string): Float64Array | undefined {
    this.assertLive()
    if (this.#columns === undefined) return undefined
    const j = this.#fields!.indexOf(field)
    const col = j < 0 ? undefined : this.#columns[j]
    return col instanceof Float64Array ? col : undefined
  }

  /** The dictionary-encoded strings of a columnar field, or undefined. */
  dictionary (field: string): DictColumn | undefined {
    this.assertLive()
    if (this.#columns === undefined) return undefined
    const j = this.#fields!.indexOf(field)
    const col = j < 0 ? undefined : this.#columns[j]
    return col instanceof DictColumn ? col : undefined
  }

  /** The values of a columnar field (any kind), or undefined for a row-backed batch or a missing field. */
  values (field: string): ArrayLike<unknown> | undefined {
    this.assertLive()
    if (this.#columns === undefined) return undefined
    const j = this.#fields!.indexOf(field)
    if (j < 0) return undefined
    const col = this.#columns[j]!
    if (col instanceof DictColumn) {
      const arr = col.toArray()
      this.#columns[j] = arr
      return arr
    }
    return col
  }

  /** A function reading `field` by row index; `undefined` where a row lacks it. */
  reader (field: string): FieldReader {
    this.assertLive()
    if (this.#columns !== undefined) {
      const j = this.#fields!.indexOf(field)
      if (j < 0) return () => undefined
      const col = this.#columns[j]!
      if (col instanceof DictColumn) { const { ids, dict } = col; return i => dict[ids[i]!] }
      return i => col[i]
    }
    const rows = this.#rows!
    return i => ownField(rows[i]!, field)
  }

  /** Row i as a plain object (made on demand for a columnar batch). */
  row (i: number): SensorRecord {
    this.assertLive()
    if (this.#rows !== undefined) return this.#rows[i]!
    const fields = this.#fields!
    const cols = this.#columns!
    const rec: SensorRecord = {}
    for (let j = 0; j < fields.length; j++) {
      const col = cols[j]!
      rec[fields[j]!] = col instanceof DictColumn ? col.dict[col.ids[i]!] : col[i]
    }
    return rec
  }

  /** All rows as plain objects. */
  toRows (): SensorRecord[] {
    this.assertLive()
    if (this.#rows !== undefined) return this.#rows
    const out = new Array<SensorRecord>(this.length)
    for (let i = 0; i < this.length; i++) out[i] = this.row(i)
    return out
  }

  * [Symbol.iterator] (): Iterator<SensorRecord> {
    this.assertLive()
    for (let i = 0; i < this.length; i++) yield this.row(i)
  }

  /**
   * The rows `keep[0..n)` (ascending indices), for the batch's owner, which hands this batch on no
   * further. An {@link Owned.exclusive} columnar batch has its rows moved down in place, and the
   * batch returned takes over its storage (this one counts as released); any other is copied by
   * {@link select} and released.
   */
  keepRows (keep: Uint32Array | readonly number[], n: number): RecordBatch {
    this.assertLive()
    if (n === this.length) return this
    if (!this.exclusive || this.#columns === undefined) {
      const out = this.select(keep, n)
      this.release()
      return out
    }
    return this.handOver(new RecordBatch(n, undefined, this.#fields, this.#pick(keep, n, true)))
  }

  /** A new batch of the rows `keep[0..n)` (ascending indices), copied. */
  select (keep: Uint32Array | readonly number[], n: number): RecordBatch {
    this.assertLive()
    if (n === this.length) return this
    if (this.#rows !== undefined) {
      const rows = new Array<SensorRecord>(n)
      for (let k = 0; k < n; k++) rows[k] = this.#rows[keep[k]!]!
      return RecordBatch.fromRows(rows)
    }
    return RecordBatch.fromColumns(this.#fields!, this.#pick(keep, n, false), n)
  }

  // The columns of the rows keep[0..n): into new arrays, or (inPlace) moved down within the
  // batch's own (keep is ascending, so row keep[k] moves to k <= keep[k]: nothing is overwritten
  // before it is read). A filter that drops few rows leaves long runs of consecutive rows: typed
  // columns are then copied run by run (a native copy each) instead of row by row.
  #pick (keep: Uint32Array | readonly number[], n: number, inPlace: boolean): ColumnData[] {
    const runs = runsOf(keep, n)
    return mapArray(this.#columns!, col => {
      if (col instanceof Float64Array) {
        const out = inPlace ? col : new Float64Array(n)
        if (runs !== undefined) copyRuns(col, out, runs)
        else for (let k = 0; k < n; k++) out[k] = col[keep[k]!]!
        return inPlace ? out.subarray(0, n) : out
      }
      if (col instanceof DictColumn) {
        const ids = inPlace ? col.ids : new Int32Array(n)
        if (runs !== undefined) copyRuns(col.ids, ids, runs)
        else for (let k = 0; k < n; k++) ids[k] = col.ids[keep[k]!]!
        return new DictColumn(inPlace ? ids.subarray(0, n) : ids, col.dict)
      }
      const out = inPlace ? col : new Array<unknown>(n)
      for (let k = 0; k < n; k++) out[k] = col[keep[k]!]
      return out
    })
  }
}

// The runs of consecutive indices in keep[0..n), as [from, to) pairs, when there are few enough
// (at most one per 16 rows) for copying them to pay; undefined otherwise. keep is strictly
// ascending, so keep[j] - j never decreases and is constant exactly along a run: each run's end
// is found by a binary search, not by a look at every index.
function runsOf (keep: Uint32Array | readonly number[], n: number): number[] | undefined {
  const most = n >> 4
  const runs: number[] = []
  let k = 0
  while (k < n) {
    const from = keep[k]!
    const d = from - k
    let lo = k
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (keep[mid]! - mid === d) lo = mid
      else hi = mid - 1
    }
    if (runs.length >= 2 * most) return undefined
    runs.push(from, from + lo - k + 1)
    k = lo + 1
  }
  return runs
}

// Copies the runs of `from` to the start of `to`, in order; within one array (to === from) as a
// move down (copyWithin copies as if through a buffer, and no run starts before where it goes).
function copyRuns<T extends Float64Array | Int32Array> (from: T, to: T, runs: readonly number[]): void {
  let p = 0
  for (let r = 0; r < runs.length; r += 2) {
    const a = runs[r]!
    const b = runs[r + 1]!
    if (to !== from) to.set(from.subarray(a, b), p)
    else if (a !== p) to.copyWithin(p, a, b)
    p += b - a
  }
}

// Object.prototype holds no primitive values, so a primitive read is always an own field; an
// object read is checked, so `constructor` or `__proto__` never reach the prototype.
export function ownField (rec: SensorRecord, key: string): unknown {
  const v = rec[key]
  if (typeof v !== 'object' && typeof v !== 'function') return v
  return v !== null && !Object.prototype.hasOwnProperty.call(rec, key) ? undefined : v
}

/** Accepts a RecordBatch or an array of records (what user code tends to yield). */
export function asRecordBatch (batch: RecordBatch | SensorRecord[]): RecordBatch {
  if (batch instanceof RecordBatch) return batch
  if (Array.isArray(batch)) return RecordBatch.fromRows(batch)
  throw new TypeError(`expected a RecordBatch or an array of records, got ${typeof batch}`)
}
