// What the parse worker and the thread that reads its batches say to each other.
import { LineBatch } from '../batch/line-batch.js'
import { DictColumn, RecordBatch, type ColumnData } from '../batch/record-batch.js'
import type { FilterStats } from '../filter/filter.js'
import type { LinesStats } from '../framing/lines.js'
import type { MultilineStats } from '../parse/csv.js'
import type { ParseOptions } from '../parse/from-options.js'
import type { ParseStats } from '../parse/reject.js'
import type { Rejection, SensorRecord } from '../types.js'
import { mapArray } from '../util/arrays.js'

/** The worker's `workerData`. */
export interface WorkerInit {
  path: string
  chunkBytes: number | undefined
  options: ParseOptions
  /** Send each rejected line to the reading thread (it has a dead-letter file to write). */
  forwardRejections: boolean
  /** Batches sent ahead of the reader's acknowledgements. */
  window: number
  /** A `where` expression applied in the worker, after parsing. */
  where: string | undefined
  /**
   * With lines to hand over (see ParseInWorkerOptions.parseHere): `control`, Int32s the reading
   * thread writes: [0] the count of messages it has taken, [1 + k] 1 while slot k holds a batch
   * it has not parsed yet; the slots; and which batches to hand over: 'auto' (when the reading
   * thread has taken every message sent) or 'all' (whenever a slot is free).
   */
  handOver: { control: SharedArrayBuffer, slots: LineSlot[], mode: 'auto' | 'all' } | undefined
  /**
   * Int32s the reading thread writes, one per slot for record batches: 1 while it holds the
   * batch in slot k, 0 once it released it (see toWire).
   */
  recordSlots: SharedArrayBuffer
}

/** The framer's and the parser's counters, as of the message that carries them. */
export interface WireStats {
  framer: LinesStats
  parser: ParseStats
  multiline: MultilineStats | undefined
  filter: FilterStats | undefined
}

/**
 * A column: numbers and dictionary ids in buffers of their own (transferred, not copied), or at a
 * byte offset in the message's shared slot; other values as an array (cloned).
 */
export type WireColumn = Float64Array | { ids: Int32Array, dict: string[] } | { f64At: number } | { idsAt: number, dict: string[] } | unknown[]

export interface WireError {
  name: string
  code: string | undefined
  message: string
  line?: number
  reason?: string
  path?: string
}

export type WorkerMessage =
  | { t: 'batch', fields: string[] | undefined, columns: WireColumn[] | undefined, rows: SensorRecord[] | undefined, length: number, stats: WireStats, slot?: { k: number, memory: SharedArrayBuffer } }
  | { t: 'lines', slot: number, bytes: number, length: number, firstLine: number, stats: WireStats }
  | { t: 'rejected', rejection: Rejection, bytes: Uint8Array | undefined }
  | { t: 'end', stats: WireStats }
  | { t: 'error', error: WireError, stats: WireStats }

/**
 * Shared memory for record batches on their way to the reading thread: slot k's memory and
 * whether the reading thread holds it (Int32 k of `held`, which it clears when it releases the
 * batch). A slot's memory grows (is replaced) when a batch needs more.
 */
export class RecordSlots {
  readonly #held: Int32Array
  readonly #memory: Array<SharedArrayBuffer | undefined>
  constructor (held: SharedArrayBuffer) {
    this.#held = new Int32Array(held)
    this.#memory = new Array<SharedArrayBuffer | undefined>(this.#held.length)
  }

  /** A free slot with at least `bytes` of memory and that memory, taken; undefined when all are held. */
  take (bytes: number): { k: number, memory: SharedArrayBuffer } | undefined {
    for (let k = 0; k < this.#held.length; k++) {
      if (Atomics.load(this.#held, k) !== 0) continue
      let memory = this.#memory[k]
      if (memory === undefined || memory.byteLength < bytes) memory = this.#memory[k] = new SharedArrayBuffer(Math.max(bytes + (bytes >> 3), 64 * 1024))
      Atomics.store(this.#held, k, 1)
      return { k, memory }
    }
    return undefined
  }
}

/**
 * A batch as a message and the buffers to transfer with it. A columnar batch of numbers and
 * dictionary ids is copied into a free slot of `slots` when there is one (the batch can then be
 * released, and its storage filled again, here); otherwise its buffers are transferred, not
 * copied (the stages that run in the worker make fresh columns for such a batch and never
 * touch a batch they have handed on). Returns whether the batch went into a slot.
 */
export function toWire (batch: RecordBatch, stats: WireStats, slots?: RecordSlots): { message: WorkerMessage, transfer: ArrayBuffer[], copied: boolean } {
  const transfer = new Set<ArrayBuffer>()
  const fields = batch.fields
  if (fields === undefined) return { message: { t: 'batch', fields: undefined, columns: undefined, rows: batch.toRows(), length: batch.length, stats }, transfer: [], copied: false }
  const n = batch.length
  const dicts = mapArray(fields, f => batch.dictionary(f))
  const nums = mapArray(fields, (f, j) => dicts[j] === undefined ? batch.numbers(f) : undefined)
  // Every column numbers or ids: a slot, 8 bytes a row for each column (ids take 4 of them).
  const slot = slots !== undefined && dicts.every((d, j) => d !== undefined || nums[j] !== undefined) ? slots.take(8 * n * fields.length) : undefined
  if (slot !== undefined) {
    const columns = mapArray(fields, (_, j): WireColumn => {
      const at = 8 * n * j
      const d = dicts[j]
      if (d !== undefined) {
        new Int32Array(slot.memory, at, n).set(d.ids.subarray(0, n))
        return { idsAt: at, dict: d.dict as string[] }
      }
      new Float64Array(slot.memory, at, n).set(nums[j]!.subarray(0, n))
      return { f64At: at }
    })
    return { message: { t: 'batch', fields: [...fields], columns, rows: undefined, length: n, stats, slot }, transfer: [], copied: true }
  }
  const columns = mapArray(fields, (f, j): WireColumn => {
    const dict = dicts[j]
    if (dict !== undefined) {
      transfer.add(dict.ids.buffer as ArrayBuffer)
      return { ids: dict.ids, dict: dict.dict as string[] }
    }
    const col = nums[j]
    if (col !== undefined) {
      transfer.add(col.buffer as ArrayBuffer)
      return col
    }
    return Array.from(batch.values(f)!).slice(0, n)
  })
  return { message: { t: 'batch', fields: [...fields], columns, rows: undefined, length: n, stats }, transfer: [...transfer], copied: false }
}

/**
 * The batch a message carries. One in a slot is a view of the slot's memory until released;
 * `held` is the slots' Int32s, the slot's cleared at the batch's release.
 */
export function fromWire (m: Extract<WorkerMessage, { t: 'batch' }>, held?: Int32Array): RecordBatch {
  if (m.rows !== undefined) return RecordBatch.fromRows(m.rows)
  const slot = m.slot
  const n = m.length
  // (mapArray, not map: the batch's column list keeps one hidden class in every tier; see src/util/arrays.ts.)
  const cols: ColumnData[] = mapArray(m.columns!, c => {
    if (c instanceof Float64Array || Array.isArray(c)) return c
    if ('f64At' in c) return new Float64Array(slot!.memory, c.f64At, n)
    if ('idsAt' in c) return new DictColumn(new Int32Array(slot!.memory, c.idsAt, n), c.dict)
    return new DictColumn(c.ids, c.dict)
  })
  const recycle = slot === undefined ? undefined : () => { Atomics.store(held!, slot.k, 0) }
  return RecordBatch.fromColumns(m.fields!, cols, n, recycle)
}

/**
 * Where the worker puts a batch of lines for the reading thread to parse: its bytes and line
 * offsets, in memory both threads share, so nothing is copied twice or allocated per batch.
 * (Pages are resident only once written: the offset arrays are long enough for lines of four
 * bytes, but sensor lines are longer.)
 */
export interface LineSlot {
  units: SharedArrayBuffer
  starts: SharedArrayBuffer
  ends: SharedArrayBuffer
}

/** `count` slots for batches of up to `bytes` bytes. */
export function lineSlots (count: number, bytes: number): LineSlot[] {
  const lines = Math.ceil(bytes / 4)
  return Array.from({ length: count }, () => ({ units: new SharedArrayBuffer(bytes), starts: new SharedArrayBuffer(4 * lines), ends: new SharedArrayBuffer(4 * lines) }))
}

/**
 * Copies a framed batch of lines into a slot, if it fits and its line numbers follow on from
 * its first (no line dropped in between); returns the message that says so, or undefined.
 */
export function linesToSlot (batch: LineBatch, slot: number, into: LineSlot, stats: WireStats): WorkerMessage | undefined {
  const units = batch.units
  if (units.length > into.units.byteLength) return undefined
  const n = batch.length
  const starts = new Int32Array(into.starts)
  if (n === 0 || n > starts.length) return undefined
  const firstLine = batch.lineNumber(0)
  if (batch.lineNumber(n - 1) !== firstLine + n - 1) return undefined
  new Uint8Array(into.units).set(units)
  starts.set(batch.starts.subarray(0, n))
  new Int32Array(into.ends).set(batch.ends.subarray(0, n))
  return { t: 'lines', slot, bytes: units.length, length: n, firstLine, stats }
}

/** The batch of lines in a slot; `done` runs when the batch is released (its parser is done with it). */
export function linesFromSlot (m: Extract<WorkerMessage, { t: 'lines' }>, from: LineSlot, done: () => void): LineBatch {
  return new LineBatch(Buffer.from(from.units, 0, m.bytes), new Int32Array(from.starts, 0, m.length), new Int32Array(from.ends, 0, m.length), m.length, m.firstLine, undefined, done)
}
