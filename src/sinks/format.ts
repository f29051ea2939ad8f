import { asRecordBatch, type RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { JsonBytes, NUMBER_ROOM, viewOf, writeNumberAt } from './json-bytes.js'
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
// Strings up to this long (UTF-16 units) that need no escaping are written in writeColumns' loop.
const SHORT = 64

// The rows 0..n-1 of a columnar batch as JSON lines, column j of kind kinds[j]: ids[j] into
// dictBytes[j] (each distinct string escaped once), nums[j], or any values vals[j] (a field
// undefined in a row is left out, as JSON.stringify does). Row by row, with room made once per
// row and the write position in a local: a call per value that loads and stores the writer's
// position cost about a third of the time. Only a value that is not a short plain string goes
// through the writer's calls. Each array of arrays holds one kind only, the other kinds' entries
// empty placeholders: so every read here is monomorphic, and the loop, kept out of the async
// generator, is optimized as a plain function.
function writeColumns (out: JsonBytes, n: number, kinds: Int8Array, keys: DataView, at: Int32Array, ids: Int32Array[], dictBytes: Uint8Array[][],
  nums: Float64Array[], vals: Array<ArrayLike<unknown>>): void {
  const nf = kinds.length
  // The most a row takes: "{", every key's text (first or other form: the same length), a number,
  // the longest of a dictionary column's strings or a short string, "}" and LF.
  let most = 3 + at[2 * nf]! - at[nf]!
  for (let j = 0; j < nf; j++) {
    if (kinds[j] === NUMBERS) most += NUMBER_ROOM
    else if (kinds[j] === VALUES) most += SHORT + 2
    else {
      let longest = 0
      for (const d of dictBytes[j]!) longest = Math.max(longest, d.length)
      most += longest
    }
  }
  // Where column j's number of the row before was written ([from, to)): a number equal to it (a
  // window's start and end, on every row of that window) is copied, not printed again.
  const from = new Int32Array(nf)
  const to = new Int32Array(nf)
  for (let i = 0; i < n; i++) {
    let b = out.room(most)
    let view = out.view
    let p = out.length
    let k = 0 // the key's text: {"k": for the first field written, ,"k": after
    for (let j = 0; j < nf; j++) {
      const kind = kinds[j]
      if (kind === NUMBERS) {
        p = copy4(keys, at[k + j]!, at[k + j + 1]!, view, p)
        const col = nums[j]!
        if (i > 0 && col[i] === col[i - 1]) {
          const f = from[j]!
          const t = to[j]!
          from[j] = p
          p = copy4(view, f, t, view, p)
          to[j] = p
        } else {
          from[j] = p
          p = writeNumberAt(b, p, col, i)
          to[j] = p
        }
      } else if (kind === DICT) {
        p = copy4(keys, at[k + j]!, at[k + j + 1]!, view, p)
        const d = dictBytes[j]![ids[j]![i]!]!
        for (let q = 0; q < d.length; q++) b[p++] = d[q]!
      } else {
        const x = vals[j]![i]
        if (x === undefined) continue
        p = copy4(keys, at[k + j]!, at[k + j + 1]!, view, p)
        const at0 = p
        let plain = typeof x === 'string' && x.length <= SHORT
        if (plain) {
          const str = x as string
          b[p++] = 34
          for (let q = 0; q < str.length; q++) {
            const c = str.charCodeAt(q)
            if (c < 32 || c > 126 || c === 34 || c === 92) { plain = false; break }
            b[p++] = c
          }
          b[p++] = 34
        }
        if (!plain) {
          // Through the writer, then room again for what is left of the row.
          out.advanceTo(at0)
          if (typeof x === 'string') out.string(x)
          else out.value(x)
          b = out.room(most)
          view = out.view
          p = out.length
        }
      }
      k = nf
    }
    if (k === 0) b[p++] = 123
    b[p++] = 125
    b[p++] = 10
    out.advanceTo(p)
  }
}

// Copies bytes [from, to) of src to dst at p, four at a time (short text: a key), and returns the
// index after them: cheaper than byte by byte, and than a native copy of so few bytes. Writes
// dst[p, p + (to - from)) only (the last word overlaps the ones before it).
function copy4 (src: DataView, from: number, to: number, dst: DataView, p: number): number {
  const n = to - from
  if (n < 4) {
    for (let k = 0; k < n; k++) dst.setUint8(p + k, src.getUint8(from + k))
  } else {
    // Whole words, then the last four bytes (overlapping the words before when n % 4 !== 0).
    for (let k = 0; k < n - 4; k += 4) dst.setInt32(p + k, src.getInt32(from + k, true), true)
    dst.setInt32(p + n - 4, src.getInt32(to - 4, true), true)
  }
  return p + n
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
