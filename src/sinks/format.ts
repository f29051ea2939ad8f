import { asRecordBatch, type RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { JsonBytes, viewOf } from './json-bytes.js'
import { mapArray } from '../util/arrays.js'

/** Live counters of a formatting stage. */
export interface FormatStats {
  /** Records formatted. */
  records: number
}

export type FormatStage = Stage<RecordBatch | SensorRecord[], string | Uint8Array> & { readonly stats: FormatStats }

/** A formatter that yields bytes. */
export type BytesFormatStage = Stage<RecordBatch | SensorRecord[], Uint8Array> & { readonly stats: FormatStats }

/** A formatter that yields text. */
export type TextFormatStage = Stage<RecordBatch | SensorRecord[], string> & { readonly stats: FormatStats }

export interface ToJsonLinesOptions {
  /**
   * Fill an output buffer again once its consumer hands it back (`writeTo` does, after writing
   * it to a file or a file descriptor), instead of a fresh buffer per batch. Only for output
   * written by {@link writeTo} directly: a buffer kept anywhere else could be overwritten. At
   * most 2 buffers wait for reuse. Default false.
   */
  reuse?: boolean
}

/**
 * Formats each batch of records as JSON lines: one UTF-8 `Buffer` per batch, one record per line
 * as `JSON.stringify` would write it (a columnar batch is written straight from its columns,
 * each distinct dictionary string escaped once; numbers print as JavaScript prints them), each
 * line ending in LF. Buffers one batch's text.
 *
 * @example
 * ```ts
 * await writeTo(process.stdout)(pipe(readings, toJsonLines()))
 * ```
 */
export function toJsonLines (options: ToJsonLinesOptions = {}): BytesFormatStage {
  const reuse = options.reuse ?? false
  if (typeof reuse !== 'boolean') throw new TypeError('"reuse" must be a boolean')
  const stats: FormatStats = { records: 0 }
  async function * toJsonLinesStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<Buffer> {
    const out = new JsonBytes(64 * 1024, reuse)
    for await (const input of batches) {
      const batch = asRecordBatch(input)
      const n = batch.length
      if (n === 0) continue
      const fields = batch.fields
      if (fields !== undefined) {
        // Columnar: keys encoded once per batch, values straight from the columns.
        const nf = fields.length
        const kinds = new Int8Array(nf)
        // Each key's text as the first field ({"k":) and after another (,"k":), all in one
        // buffer: key j's first form at [at[j], at[j + 1]), its other at [at[nf + j], at[nf + j + 1]).
        // (Loops, not a spread of two map() results: map() inlined by TurboFan makes an array of
        // another map than the builtin's, and the spread then deoptimized this generator twice.)
        const texts: string[] = []
        for (let j = 0; j < nf; j++) texts.push('{' + JSON.stringify(fields[j]) + ':')
        for (let j = 0; j < nf; j++) texts.push(',' + JSON.stringify(fields[j]) + ':')
        const keys = Buffer.from(texts.join(''))
        const at = new Int32Array(2 * nf + 1)
        for (let k = 0; k < texts.length; k++) at[k + 1] = at[k]! + Buffer.byteLength(texts[k]!)
        const ids: Int32Array[] = []
        const dictBytes: Uint8Array[][] = []
        const nums: Float64Array[] = []
        const vals: Array<ArrayLike<unknown>> = []
        for (let j = 0; j < nf; j++) {
          const f = fields[j]!
          const d = batch.dictionary(f)
          const num = d === undefined ? batch.numbers(f) : undefined
          kinds[j] = d !== undefined ? DICT : num !== undefined ? NUMBERS : VALUES
          ids.push(d?.ids ?? NO_IDS)
          dictBytes.push(d === undefined ? [] : mapArray(d.dict, v => Buffer.from(JSON.stringify(v))))
          nums.push(num ?? NO_NUMBERS)
          vals.push(d === undefined && num === undefined ? batch.values(f)! : [])
        }
        writeColumns(out, n, kinds, viewOf(keys), at, ids, dictBytes, nums, vals)
      } else {
        for (let i = 0; i < n; i++) { out.utf8(JSON.stringify(batch.row(i))); out.byte(10) }
      }
      stats.records += n
      batch.release()
      yield out.take()
    }
  }
  return Object.assign(toJsonLinesStage, { stats })
}

const DICT = 0
const NUMBERS = 1
const VALUES = 2
const NO_IDS = new Int32Array(0)
const NO_NUMBERS = new Float64Array(0)

// The rows 0..n-1 of a columnar batch as JSON lines, column j of kind kinds[j]: ids[j] into
// dictBytes[j] (each distinct string escaped once), nums[j], or any values vals[j] (a field
// undefined in a row is left out, as JSON.stringify does). Each array of arrays holds one kind
// only, the other kinds' entries empty placeholders: so every read here is monomorphic, and the
// loop, kept out of the async generator, is optimized as a plain function.
function writeColumns (out: JsonBytes, n: number, kinds: Int8Array, keys: DataView, at: Int32Array, ids: Int32Array[], dictBytes: Uint8Array[][],
  nums: Float64Array[], vals: Array<ArrayLike<unknown>>): void {
  const nf = kinds.length
  // Where column j's number of the row before was written in `out` ([from, to)): a number equal
  // to it (a window's start and end, on every row of that window) is copied, not printed again.
  const from = new Int32Array(nf)
  const to = new Int32Array(nf)
  for (let i = 0; i < n; i++) {
    let opened = false
    for (let j = 0; j < nf; j++) {
      const kind = kinds[j]
      const k = opened ? nf + j : j // the key's text
      if (kind === NUMBERS) {
        out.copy(keys, at[k]!, at[k + 1]!)
        const col = nums[j]!
        if (i > 0 && col[i] === col[i - 1]) out.again(from[j]!, to[j]!)
        else {
          from[j] = out.length
          out.numberAt(col, i)
          to[j] = out.length
        }
      } else if (kind === DICT) {
        out.copy(keys, at[k]!, at[k + 1]!)
        out.raw(dictBytes[j]![ids[j]![i]!]!)
      } else {
        const v = vals[j]![i]
        if (v === undefined) continue
        out.copy(keys, at[k]!, at[k + 1]!)
        if (typeof v === 'string') out.string(v)
        else out.value(v)
      }
      opened = true
    }
    if (!opened) out.byte(123)
    out.byte(125)
    out.byte(10)
  }
}

export interface ToCsvOptions {
  /** Column order; default: the keys of the first record. Later records' other keys are left out. */
  columns?: readonly string[]
  /** Write a header line first. Default true. */
  header?: boolean
  /** Field delimiter, one character. Default `,`. */
  delimiter?: string
}

/**
 * Formats each batch of records as CSV lines (RFC 4180: a field holding the delimiter, a quote,
 * CR or LF is quoted, quotes doubled; null and missing fields are empty). One string per batch.
 *
 * @example
 * ```ts
 * await writeTo('out.csv')(pipe(readings, toCsv({ columns: ['ts', 'value'] })))
 * ```
 */
export function toCsv (options: ToCsvOptions = {}): TextFormatStage {
  const { header = true, delimiter = ',' } = options
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"') throw new TypeError('"delimiter" must be one character other than a quote')
  if (options.columns !== undefined && (!Array.isArray(options.columns) || options.columns.length === 0)) throw new TypeError('"columns" must be a non-empty array of names')
  const stats: FormatStats = { records: 0 }
  const field = (v: unknown): string => {
    if (v === undefined || v === null) return ''
    const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
    return s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? '"' + s.replaceAll('"', '""') + '"' : s
  }
  async function * toCsvStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<string> {
    let columns = options.columns
    for await (const input of batches) {
      const owned = asRecordBatch(input)
      const batch = owned.toRows()
      owned.release()
      if (batch.length === 0) continue
      let text = ''
      if (columns === undefined) {
        columns = Object.keys(batch[0]!)
        if (header) text += columns.map(field).join(delimiter) + '\n'
      } else if (header && stats.records === 0) {
        text += columns.map(field).join(delimiter) + '\n'
      }
      for (const rec of batch) text += columns.map(c => field(rec[c])).join(delimiter) + '\n'
      stats.records += batch.length
      yield text
    }
  }
  return Object.assign(toCsvStage, { stats })
}
