// What the parse worker and the thread that reads its batches say to each other.
import { DictColumn, RecordBatch, type ColumnData } from '../batch/record-batch.js'
import type { FilterStats } from '../filter/filter.js'
import type { LinesStats } from '../framing/lines.js'
import type { MultilineStats } from '../parse/csv.js'
import type { ParseOptions } from '../parse/from-options.js'
import type { ParseStats } from '../parse/reject.js'
import type { Rejection, SensorRecord } from '../types.js'

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
}

/** The framer's and the parser's counters, as of the message that carries them. */
export interface WireStats {
  framer: LinesStats
  parser: ParseStats
  multiline: MultilineStats | undefined
  filter: FilterStats | undefined
}

/** A column: numbers and dictionary ids in buffers of their own (transferred, not copied). */
export type WireColumn = Float64Array | { ids: Int32Array, dict: string[] } | unknown[]

export interface WireError {
  name: string
  code: string | undefined
  message: string
  line?: number
  reason?: string
  path?: string
}

export type WorkerMessage =
  | { t: 'batch', fields: string[] | undefined, columns: WireColumn[] | undefined, rows: SensorRecord[] | undefined, length: number, stats: WireStats }
  | { t: 'rejected', rejection: Rejection, bytes: Uint8Array | undefined }
  | { t: 'end', stats: WireStats }
  | { t: 'error', error: WireError, stats: WireStats }

/**
 * A batch as a message and the buffers to transfer with it (not copied: the stages that run in
 * the worker make fresh columns for every batch and never touch a batch they have handed on).
 */
export function toWire (batch: RecordBatch, stats: WireStats): { message: WorkerMessage, transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>()
  const fields = batch.fields
  if (fields === undefined) return { message: { t: 'batch', fields: undefined, columns: undefined, rows: batch.toRows(), length: batch.length, stats }, transfer: [] }
  const n = batch.length
  const columns = fields.map((f): WireColumn => {
    const dict = batch.dictionary(f)
    if (dict !== undefined) {
      transfer.add(dict.ids.buffer as ArrayBuffer)
      return { ids: dict.ids, dict: dict.dict as string[] }
    }
    const nums = batch.numbers(f)
    if (nums !== undefined) {
      transfer.add(nums.buffer as ArrayBuffer)
      return nums
    }
    return Array.from(batch.values(f)!).slice(0, n)
  })
  return { message: { t: 'batch', fields: [...fields], columns, rows: undefined, length: n, stats }, transfer: [...transfer] }
}

/** The batch a message carries. */
export function fromWire (m: Extract<WorkerMessage, { t: 'batch' }>): RecordBatch {
  if (m.rows !== undefined) return RecordBatch.fromRows(m.rows)
  const cols: ColumnData[] = m.columns!.map(c => c instanceof Float64Array || Array.isArray(c) ? c : new DictColumn(c.ids, c.dict))
  return RecordBatch.fromColumns(m.fields!, cols, m.length)
}
