import { StringInterner } from '../batch/intern.js'
import { asLineBatch, decodeUnits, type Framing, type LineBatch, type Units } from '../batch/line-batch.js'
import { type ColumnData, DictColumn, RecordBatch } from '../batch/record-batch.js'
import { Pool } from '../batch/owned.js'
import type { Stage } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import { type Column, convertField, INVALID, parseColumns, parseFloatStrict, typeReason } from './columns.js'
import { lineBytes, newParseStats, type OnError, type ParseStats, rejecter, snippet } from './reject.js'
import { mapArray } from '../util/arrays.js'

export interface ParseCsvOptions {
  /**
   * Typed columns in field order: `'ts:time,sensor:string,value:float'` (types: int, float,
   * string, bool, time, time:s; a trailing `?` allows an empty field, read as null). With
   * `header`, the types of the named columns; the rest are strings.
   */
  columns?: string | ReadonlyArray<string | Column>
  /** The first line names the columns. Default false. */
  header?: boolean
  /** The field delimiter, one character. Default `,`. */
  delimiter?: string
  /** A rejected line: `'skip'` (count it, the default), `'fail'` (throw), or a handler. */
  onError?: OnError
  /**
   * A quoted field may hold line breaks (RFC 4180): a line that ends inside a quoted field goes
   * on in the next lines. Default false: a record is one line, and such a line is rejected
   * (`bad-quote`), so that one stray quote cannot swallow the lines after it.
   */
  quotedNewlines?: boolean
  /**
   * With `quotedNewlines`: the longest record spanning lines, in bytes. Such a record is held
   * until its closing quote, at most this long; past it, the record is rejected (`bad-quote`)
   * and the next line starts afresh. Default 65536.
   */
  maxRecordBytes?: number
  /**
   * With typed columns only (no optional or untyped column): fill the column arrays of released
   * batches again instead of allocating per batch. Then a batch must not be read after its
   * consumer released it (see `Owned`). Default false.
   */
  reuse?: boolean
}

/** Counters of the records of a {@link parseCsv} stage whose quoted field spans lines. */
export interface MultilineStats {
  /** Records (parsed or rejected) that spanned more than one line. */
  records: number
  /** Lines that continued such a record: they are part of it, not records of their own. */
  lines: number
}

export type ParseCsvStage = Stage<LineBatch | string[], RecordBatch> & { readonly stats: ParseStats, readonly multiline: MultilineStats }

// Column kinds, so the per-field conversion is a switch on a small integer.
const K_FLOAT = 0
const K_TIME = 1
const K_STRING = 2
const K_INT = 3
const K_OTHER = 4

// Why parseTypedRows() stopped (fused): the bytes ended, the arrays are full, a line is too long.
const DONE = 0
const FULL = 1
const FALLBACK = 2
const LF = 10
const CR = 13

/**
 * Parses batches of CSV lines into columnar batches of typed records ({@link RecordBatch}: numbers
 * unboxed in `Float64Array`s, repeated strings shared). Strict: a line must have exactly one
 * field per column and every field must fit its type, else it is rejected (counted by reason in
 * `stats`, optionally handed to `onError` with its raw text and line number); a rejection never
 * ends the stream. A field that starts with `"` is read as an RFC 4180 quoted field (`""` is a
 * quote; a quoted field cannot span lines unless `quotedNewlines` is set); a quote elsewhere is
 * data. With `quotedNewlines`, a record whose quoted field spans lines (its line breaks read as
 * LF) counts once in `stats.lines`, numbered by its first line, and its other lines are counted
 * in `multiline.lines`. Holds one batch's columns, and an open multi-line record of at most
 * `maxRecordBytes`.
 *
 * @example
 * ```ts
 * const parser = parseCsv({ columns: 'ts:time,sensor:string,value:float' })
 * for await (const batch of pipe(fromFile('in.csv'), lines(), parser)) console.log(batch.numbers('value'))
 * console.error(parser.stats.malformed, 'malformed')
 * ```
 */
export function parseCsv (options: ParseCsvOptions = {}): ParseCsvStage {
  const { header = false, delimiter = ',' } = options
  if (typeof header !== 'boolean') throw new TypeError('"header" must be a boolean')
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r' || delimiter.charCodeAt(0) > 0x7f) {
    throw new TypeError('"delimiter" must be one ASCII character other than a quote, CR or LF')
  }
  const typed = options.columns === undefined ? undefined : parseColumns(options.columns)
  if (typed === undefined && !header) throw new TypeError('parseCsv needs "columns", "header: true", or both')
  const { quotedNewlines = false } = options
  if (typeof quotedNewlines !== 'boolean') throw new TypeError('"quotedNewlines" must be a boolean')
  const maxRecordBytes = positiveInteger('maxRecordBytes', options.maxRecordBytes ?? 65536)
  const reuse = options.reuse ?? false
  if (typeof reuse !== 'boolean') throw new TypeError('"reuse" must be a boolean')
  const stats = newParseStats()
  const multiline: MultilineStats = { records: 0, lines: 0 }
  const reject = rejecter('parseCsv', stats, options.onError)
  const delim = delimiter.charCodeAt(0)
  const delims = Math.imul(delim, 0x01010101) // in each byte of a word
  // A record whose quoted field is still open at the end of a line, and one just closed.
  let open: OpenRecord | undefined
  let closed: { values: string[] | string, text: string, line: number, parts: Buffer[] } | undefined

  async function * parseCsvStage (batches: AsyncIterable<LineBatch | string[]>): AsyncGenerator<RecordBatch> {
    let columns: Column[] | undefined = header ? undefined : typed
    let headerFailed = false
    let nextLine = 1 // line numbers for string[] input, which carries none
    let names: string[] = []
    let kinds: number[] = []
    let typedOnly = false
    const interner = new StringInterner()
    // Column arrays of released batches (typed columns only), at most COLUMN_POOL sets.
    const columnPool = new Pool<ColumnData[]>(COLUMN_POOL, d => (d[0] as Float64Array | Int32Array).length)
    const setColumns = (cols: Column[]): void => {
      columns = cols
      names = cols.map(c => c.name)
      kinds = cols.map(c => c.optional ? K_OTHER : c.type === 'float' ? K_FLOAT : c.type === 'time' ? K_TIME : c.type === 'string' ? K_STRING : c.type === 'int' ? K_INT : K_OTHER)
      typedOnly = kinds.every(k => k !== K_OTHER)
    }
    if (columns !== undefined) setColumns(columns)
    open = undefined
    closed = undefined

    for await (const input of batches) {
      const batch = asLineBatch(input, nextLine)
      // A batch its framer left unframed is framed here as it is parsed, when every column is
      // typed and a record is one line (see parseLazyBatch()).
      const framing = columns !== undefined && typedOnly && !quotedNewlines && open === undefined ? batch.beginFraming() : undefined
      const n = framing === undefined ? batch.length : 0
      nextLine += n
      let i = 0
      if (columns === undefined) {
        if (n === 0) continue
        if (!headerFailed) {
          stats.lines++
          const head = headerColumns(batch.at(0), typed, delimiter)
          if (head !== undefined) {
            setColumns(head)
            i = 1
          } else {
            reject('bad-header', `header ${snippet(batch.at(0))} does not name the columns${typed === undefined ? '' : ' (' + typed.map(c => c.name).join(', ') + ')'}`, batch.at(0), batch.lineNumber(0), lineBytes(batch, 0))
            headerFailed = true
            i = 1
          }
        }
        if (headerFailed) {
          // Without a header no line can be read: each is rejected and counted.
          for (; i < n; i++) {
            stats.lines++
            reject('no-header', 'the header line was rejected, so the columns are unknown', batch.at(i), batch.lineNumber(i), lineBytes(batch, i))
          }
          continue
        }
      }
      const cols = columns!
      if (open !== undefined) {
        // The lines that continue a quoted field from the batch before; the record, once
        // closed, goes out alone ahead of this batch's records.
        i += continueQuoted(batch, i)
        if (closed !== undefined) {
          const one: ColumnData[] = mapArray(kinds, k => k <= K_TIME || k === K_INT ? new Float64Array(1) : k === K_STRING ? new Int32Array(1) as unknown as ColumnData : new Array<unknown>(1))
          const dict1: string[] = []
          if (writeClosed(cols, one, 0, dict1)) {
            stats.parsed++
            yield RecordBatch.fromColumns(names, mapArray(one, d => d instanceof Int32Array ? new DictColumn(d, dict1) : d) as ColumnData[], 1)
          }
        }
        if (i >= n) continue
      }
      // Numbers unboxed; strings as ids into this batch's dictionary; the rest as values. With
      // typed columns only, the arrays come from the pool that released batches refill.
      // (Unframed, the lines are not counted yet: room for those expected, grown if need be.)
      const want = framing !== undefined ? framing.expected : n - i
      const pooled = typedOnly && reuse
      const cap = pooled || framing !== undefined ? want + (want >> 3) : want
      const data: ColumnData[] = (pooled ? columnPool.take(d => (d[0] as Float64Array | Int32Array).length >= want) : undefined) ??
        mapArray(kinds, k => k <= K_TIME || k === K_INT ? new Float64Array(cap) : k === K_STRING ? new Int32Array(cap) as unknown as ColumnData : new Array<unknown>(want))
      const dict = interner.startDictionary()
      const m = framing !== undefined
        ? parseLazyBatch(batch, framing, kinds, cols, data, dict, interner)
        : typedOnly ? parseTypedBatch(batch, i, cols, kinds, data, dict, interner) : parseRows(batch, i, cols, kinds, data, dict, interner)
      if (framing !== undefined) nextLine += batch.length
      stats.parsed += m
      batch.release()
      if (m > 0) {
        const recycle = pooled ? () => { columnPool.give(data) } : undefined
        yield RecordBatch.fromColumns(names, mapArray(data, d => d instanceof Float64Array ? d.subarray(0, m) : d instanceof Int32Array ? new DictColumn(d.subarray(0, m), dict) : (d as unknown[]).slice(0, m)) as ColumnData[], m, recycle)
      } else if (pooled) {
        columnPool.give(data)
      }
    }
    if (open !== undefined) rejectOpen('unterminated quoted field at the end of input')
  }

  // The per-line hot loop, kept out of the async generator: a small plain function is optimized
  // sooner and stays optimized (rare paths call out to reject()/parseQuoted()). Fills rows
  // 0..m-1 of `data` from lines i0..n-1 of the batch; returns m.
  function parseRows (batch: LineBatch, i0: number, cols: Column[], kinds: number[], data: ColumnData[], dict: string[], interner: StringInterner): number {
    const u = batch.units
    const n = batch.length
    const ncol = cols.length
    let m = 0
    let i = i0
    // Rare paths, out of line: ISO times, exponents, long mantissas, anything invalid.
    const slowTime = (c: number, from: number, to: number): boolean => {
      const field = decodeUnits(u, from, to)
      const t = convertField(cols[c]!, field, 0, field.length)
      if (typeof t !== 'number' || t !== t) return false
      ;(data[c] as Float64Array)[m] = t
      return true
    }
    const slowFloat = (c: number, from: number, to: number): boolean => {
      const t = parseFloatStrict(decodeUnits(u, from, to))
      if (t !== t) return false
      ;(data[c] as Float64Array)[m] = t
      return true
    }
    for (; i < n; i++) {
      stats.lines++
      const e = batch.end(i)
      let pos = batch.start(i)
      // One pass per field: scan to the delimiter while converting, by column kind.
      let c = 0
      let bad = -1 // the column that failed its type
      for (; c < ncol; c++) {
        if (pos < e && u[pos] === 34) { bad = -2; break } // quoted: general path
        const from = pos
        const kind = kinds[c]
        let q = pos
        // The slow paths return into their own variables so that `v` stays an unboxed double
        // (merging it with a call's result would box it on every line).
        if (kind === K_TIME) {
          let v = 0
          let ch = 0
          while (q < e && (ch = u[q]!) >= 48 && ch <= 57) { v = v * 10 + (ch - 48); q++ }
          if (q === e || ch === delim) {
            const len = q - from
            if (len > 0 && len <= 15) (data[c] as Float64Array)[m] = v
            else if (!slowTime(c, from, q) && bad < 0) bad = c
          } else {
            while (q < e && u[q] !== delim) q++
            if (!slowTime(c, from, q) && bad < 0) bad = c
          }
        } else if (kind === K_FLOAT) {
          let ch = u[q]!
          let neg = false
          if (ch === 45 || ch === 43) { neg = ch === 45; q++ }
          let mant = 0
          let digits = 0
          while (q < e && (ch = u[q]!) >= 48 && ch <= 57) { mant = mant * 10 + (ch - 48); digits++; q++ }
          let frac = 0
          if (q < e && ch === 46) {
            q++
            while (q < e && (ch = u[q]!) >= 48 && ch <= 57) { mant = mant * 10 + (ch - 48); frac++; q++ }
          }
          if ((q === e || ch === delim) && digits + frac <= 15 && digits + frac > 0) {
            const v = frac === 0 ? mant : mant / POW10[frac]!
            ;(data[c] as Float64Array)[m] = neg ? -v : v
          } else {
            // Exponent, long mantissa or garbage: the strict general parser decides.
            while (q < e && u[q] !== delim) q++
            if (!slowFloat(c, from, q) && bad < 0) bad = c
          }
        } else if (kind === K_STRING) {
          let h = 0
          let any = 0
          let ch = 0
          while (q < e && (ch = u[q]!) !== delim) { h = Math.imul(h ^ ch, 16777619); any |= ch; q++ }
          if (q > from) (data[c] as unknown as Int32Array)[m] = interner.idOf(u, from, q, h, any)
          else if (bad < 0) bad = c
        } else {
          while (q < e && u[q] !== delim) q++
          const field = decodeUnits(u, from, q)
          const v = convertField(cols[c]!, field, 0, field.length)
          if (v !== INVALID) (data[c] as unknown[])[m] = v
          else if (bad < 0) bad = c
        }
        // The field ends at a delimiter, except the last, which ends the line.
        if (c < ncol - 1) {
          if (q >= e) { c++; break }
          pos = q + 1
        } else if (q < e) { c++; pos = e + 1; break }
        if (bad >= 0) { c = ncol; pos = q; break }
      }
      if (bad === -2) {
        const k = parseQuoted(batch, i, cols, data, m, dict)
        if (k >= 0) { m++; i += k } else i += -k - 1
        continue
      }
      if (c !== ncol || pos > e) {
        reject('field-count', `expected ${ncol} fields, got ${countFields(u, batch.start(i), e, delim)}`, batch.at(i), batch.lineNumber(i), lineBytes(batch, i))
        continue
      }
      if (bad >= 0) {
        const col = cols[bad]!
        const [from, to] = fieldBounds(u, batch.start(i), e, delim, bad)
        reject(typeReason(col.type), `column "${col.name}": ${snippet(decodeUnits(u, from, to))} is not a valid ${col.type}`, batch.at(i), batch.lineNumber(i), lineBytes(batch, i))
        continue
      }
      m++
    }
    return m
  }

  // The common case, a column list whose every column is a required time, float, int or string:
  // parseRows' results, rejections, dictionary and counts, faster. This part runs once per batch
  // and sets up parseTypedRows(), the loop, whose arguments it computes: the loop itself has no
  // such code, because the first call of a function runs before V8 keeps type feedback for it,
  // and optimized code deoptimizes at an operation it has no feedback for (see NUMBER).
  function parseTypedBatch (batch: LineBatch, i0: number, cols: Column[], kinds: number[], data: ColumnData[], dict: string[], interner: StringInterner): number {
    const u = batch.units
    const n = batch.length
    // Each column's output array; the other kind's entry is an empty placeholder, never written.
    const nums = mapArray(data, d => d instanceof Float64Array ? d : NO_NUMBERS)
    const ids = mapArray(data, d => d instanceof Int32Array ? d : NO_IDS)
    const lines0 = stats.lines
    const m = parseTypedRows(batch, u, new DataView(u.buffer, u.byteOffset, u.byteLength), batch.starts, batch.ends, i0, n, 0, u.length, false, 0, lines0, 0,
      kinds, kinds.length, nums, ids, cols, data, dict, interner)
    countLines(lines0, i0)
    return m
  }

  // parseTypedBatch() for a batch its framer left unframed (see LineBatch, "Framed lazily"): the
  // loop finds each line's end as it parses its last field, so the bytes are read once, not by
  // the framer and then again here. The column arrays in `data` grow when the lines outnumber
  // them (the grown ones replace them there). A line longer than maxLineBytes (which the framer
  // drops) hands the rest of the batch back to the framer, and the loop goes on over framed lines.
  function parseLazyBatch (batch: LineBatch, f: Framing, kinds: number[], cols: Column[], data: ColumnData[], dict: string[], interner: StringInterner): number {
    const u = batch.units
    const view = new DataView(u.buffer, u.byteOffset, u.byteLength)
    const nums = mapArray(data, d => d instanceof Float64Array ? d : NO_NUMBERS)
    const ids = mapArray(data, d => d instanceof Int32Array ? d : NO_IDS)
    let m = 0
    let i = 0
    let pos = 0
    for (;;) {
      const room = Math.min(f.starts.length, (data[0] as Float64Array | Int32Array).length)
      const lines0 = stats.lines
      m = parseTypedRows(batch, u, view, f.starts, f.ends, i, room, pos, u.length, true, f.maxLineBytes, lines0, m, kinds, kinds.length, nums, ids, cols, data, dict, interner)
      countLines(lines0, i)
      i = loopLine
      pos = loopPos
      if (loopState === DONE) {
        batch.endFraming(i, u.length)
        return m
      }
      if (loopState === FALLBACK) break
      if (f.starts.length <= i) batch.growFraming(i)
      growColumns(data, nums, ids, m, f.starts.length)
    }
    batch.endFraming(i, pos)
    const n = batch.length
    growColumns(data, nums, ids, m, n)
    const lines0 = stats.lines
    m = parseTypedRows(batch, u, view, batch.starts, batch.ends, i, n, 0, u.length, false, 0, lines0, m, kinds, kinds.length, nums, ids, cols, data, dict, interner)
    countLines(lines0, i)
    return m
  }

  // Where parseTypedRows() stopped: the next line's index and (fused) its first byte, and why;
  // and the lines after a line that a quoted record went on in.
  let loopLine = 0
  let loopPos = 0
  let loopState = DONE
  let loopSkipped = 0

  // Sets stats.lines after a call of parseTypedRows() from line i0, stats.lines being lines0 before it.
  function countLines (lines0: number, i0: number): void {
    stats.lines = lines0 + (loopLine - i0) - loopSkipped
  }

  // The loop of parseTypedBatch(), over lines i0..n-1, writing rows from m0 on; returns the rows
  // written. It takes only fields that fit their column's plain form (digits, a decimal of at
  // most 15 digits, a non-empty unquoted string); at any other field, and at a wrong field count,
  // finishLine() takes over the rest of the line. That single exit is also why no rare case is
  // written out here: optimized code deoptimizes the first time it reaches a branch it never saw
  // taken, and one exit is seen at the first unusual line. Also: no closures (a variable they
  // capture lives in a heap context, so each `m++` and row store would go through memory), the
  // line offsets read from the batch's arrays, and each column's output in a monomorphic array by
  // kind. `lines0` is stats.lines before line i0; countLines() sets stats.lines after a call.
  // `size` is u.length, passed in: the first call may be compiled while it runs, and an operation
  // it ran before V8 gave it type feedback (its first lines) would deoptimize that code.
  //
  // Fused (parseLazyBatch): the lines are not framed; line i0 starts at byte pos0, and a plain
  // line ends at the LF its last field's scan stops at. The loop writes starts/ends as it goes,
  // finds the LF itself for an unusual line (a CRLF line included), and stops at the end of the
  // bytes (DONE), at line n (FULL: the arrays are full), or before a line longer than maxLine
  // (FALLBACK).
  function parseTypedRows (batch: LineBatch, u: Units, view: DataView, starts: Int32Array, ends: Int32Array, i0: number, n: number, pos0: number, size: number,
    fused: boolean, maxLine: number, lines0: number, m0: number,
    kinds: number[], ncol: number, nums: Float64Array[], ids: Int32Array[], cols: Column[], data: ColumnData[], dict: string[], interner: StringInterner): number {
    let m = m0
    let skipped = 0 // lines after a line that a quoted record went on in
    let next = pos0
    let state = FULL
    let i = i0
    // (The loop's ends are tested at its top, none after it: see the end.)
    for (; ; i++) {
      let s: number
      let e: number
      if (fused && next >= size) { state = DONE; break }
      if (i >= n) break // FULL: the arrays are full
      if (fused) {
        s = next
        e = size
      } else {
        s = starts[i]!
        e = ends[i]!
      }
      let pos = s
      let q = s
      // -1: parsed; c >= 0: field c (at pos) is not plain; ncol: a wrong number of fields.
      let stop = -1
      for (let c = 0; c < ncol; c++) {
        const from = pos
        q = pos
        let ch = q < e ? u[q]! : 34
        let plain = false
        const kind = kinds[c]!
        if (ch === 34) {
          // A quoted field (or an empty one at the end of the line): the general path.
        } else if (kind === K_STRING) {
          // Four bytes at a time while none is the delimiter or below 14 (an LF, a CR, another
          // control character), then byte by byte to the delimiter, LF or CR (fieldHash(), except
          // after a control character: the interner finds strings by their bytes, the hash only
          // picks where to look).
          let h = 0
          let or = 0
          while (q + 4 <= e) {
            const w = view.getInt32(q, true)
            const x = w ^ delims
            if ((((x - 0x01010101) & ~x) | ((w - 0x0e0e0e0e) & ~w)) & 0x80808080) break // a zero byte in x, a byte below 14 in w
            h = Math.imul(h ^ w, 16777619)
            or |= w
            q += 4
          }
          let any = (or | (or >>> 8) | (or >>> 16) | (or >>> 24)) & 0xff
          while (q < e && (ch = u[q]!) !== delim && ch !== LF && ch !== CR) { h = Math.imul(h ^ ch, 16777619); any |= ch; q++ }
          if (q > from) {
            ids[c]![m] = interner.idOf(u, from, q, h, any, view)
            plain = true
          }
        } else if (kind === K_FLOAT) {
          // [+-]digits[.digits], at most 15 digits: their integer value is exact, and one
          // division by an exact power of ten is correctly rounded.
          const neg = ch === 45
          q += neg || ch === 43 ? 1 : 0
          const d0 = q
          let mant = -0 // see NUMBER
          while (q < e && ((ch = u[q]!) - 48) >>> 0 < 10) { mant = mant * 10 + (ch - 48); q++ }
          let digits = q - d0
          let frac = 0
          if (q < e && ch === 46) {
            const f0 = ++q
            while (q < e && ((ch = u[q]!) - 48) >>> 0 < 10) { mant = mant * 10 + (ch - 48); q++ }
            frac = q - f0
            digits += frac
          }
          if (digits > 0 && digits <= 15) {
            nums[c]![m] = mant / (POW10[frac]! * (neg ? -1 : 1)) // x / -p is -(x / p), exactly
            plain = true
          }
        } else {
          // time (epoch ms) or int ([+-]digits), at most 15 digits, four at a time while they
          // last (a 13-digit time is three words and a byte).
          const isInt = kind === K_INT
          const neg = isInt && ch === 45
          q += neg || (isInt && ch === 43) ? 1 : 0
          const d0 = q
          let v = -0 // see NUMBER
          while (q + 4 <= e) {
            const w = view.getInt32(q, true)
            if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break
            v = v * 10000 + digits4(w - 0x30303030)
            q += 4
          }
          while (q < e && ((ch = u[q]!) - 48) >>> 0 < 10) { v = v * 10 + (ch - 48); q++ }
          const len = q - d0
          if (len > 0 && len <= 15) {
            nums[c]![m] = v * (neg ? -1 : 1)
            plain = true
          }
        }
        // What ended the field: the delimiter (then it must not be the last), the line's end
        // (then it must be), or something else (then the field is not plain). When not at the
        // end, ch is the byte at q.
        if (!plain) { stop = c; break }
        if (q < e && ch === delim) {
          if (c === ncol - 1) { stop = ncol; break }
          pos = q + 1
          continue
        }
        if (!(q === e || (fused && ch === LF))) { stop = c; break }
        if (c < ncol - 1) stop = ncol
        break
      }
      if (fused) {
        let end = q
        next = q + 1
        if (stop >= 0) {
          // An unusual line (a CRLF line is one: the last field stops at the CR): its end, as the
          // framer finds it, without a CR before the LF. Every operation here runs for every
          // unusual line, so that each has type feedback by the time the loop is optimized.
          let lf = u.indexOf(LF, s)
          if (lf < 0) lf = size
          const j = Math.max(s, lf - 1)
          end = u[j] === CR ? j : lf
          next = lf + 1
        }
        if (end - s > maxLine) { next = s; state = FALLBACK; break }
        starts[i] = s
        ends[i] = end
      }
      if (stop < 0) { m++; continue }
      // stats.lines as of line i.
      const r = finishLine(batch, i, stop, pos, lines0 + (i - i0) + 1 - skipped, cols, kinds, data, m, dict, interner)
      // r = 2k + 1 when row m was written, 2k when not, k the lines a quoted record went on in.
      m += r & 1
      i += r >> 1
      skipped += r >> 1
    }
    // Stores only, no operation that needs type feedback (countLines() does the arithmetic): the
    // first call reaches this only at its end, after V8 may have compiled the loop on the stack
    // (OSR) already, without feedback for what follows it, and such an operation would
    // deoptimize that code (which it did, at a test of `state` that was here).
    loopLine = i
    loopPos = next
    loopState = state
    loopSkipped = skipped
    return m
  }

  // The rest of line i for parseTypedRows(), from field c0 at byte pos (c0 === ncol: the line
  // has too few or too many fields), the general way: as parseRows() would, field by field (a
  // string interned, anything else converted from its text), then a rejection or a quoted
  // record. `lines` is stats.lines as of this line, set for a rejection's handler to read.
  // Returns 2k + 1 when it wrote row m, 2k when it did not, k the lines after line i that a
  // quoted record took.
  function finishLine (batch: LineBatch, i: number, c0: number, pos: number, lines: number, cols: Column[], kinds: number[], data: ColumnData[], m: number, dict: string[], interner: StringInterner): number {
    stats.lines = lines
    const u = batch.units
    const e = batch.end(i)
    const ncol = cols.length
    let complete = c0 < ncol
    let bad = -1
    for (let c = c0; c < ncol; c++) {
      if (pos < e && u[pos] === 34) {
        const k = parseQuoted(batch, i, cols, data, m, dict)
        return k >= 0 ? 2 * k + 1 : 2 * (-k - 1)
      }
      let q = pos
      if (kinds[c] === K_STRING) {
        let any = 0
        while (q < e && u[q] !== delim) { any |= u[q]!; q++ }
        if (q > pos) (data[c] as unknown as Int32Array)[m] = interner.idOf(u, pos, q, fieldHash(u, pos, q), any)
        else bad = c
      } else {
        while (q < e && u[q] !== delim) q++
        const field = decodeUnits(u, pos, q)
        const v = convertField(cols[c]!, field, 0, field.length)
        if (v !== INVALID) (data[c] as unknown[])[m] = v
        else bad = c
      }
      // The field ends at a delimiter, except the last, which ends the line.
      if (c < ncol - 1 ? q >= e : q < e) { complete = false; break }
      if (bad >= 0) return reject0(batch, i, cols, bad)
      pos = q + 1
    }
    if (!complete) {
      reject('field-count', `expected ${ncol} fields, got ${countFields(u, batch.start(i), e, delim)}`, batch.at(i), batch.lineNumber(i), lineBytes(batch, i))
      return 0
    }
    return 1
  }

  // Rejects line i for the bad field in column c; returns 0 (no row written).
  function reject0 (batch: LineBatch, i: number, cols: Column[], c: number): number {
    const col = cols[c]!
    const [from, to] = fieldBounds(batch.units, batch.start(i), batch.end(i), delim, c)
    reject(typeReason(col.type), `column "${col.name}": ${snippet(decodeUnits(batch.units, from, to))} is not a valid ${col.type}`, batch.at(i), batch.lineNumber(i), lineBytes(batch, i))
    return 0
  }

  // A line with a quoted field: the general RFC 4180 path. With quotedNewlines, a quoted field
  // still open at the end of the line goes on in the lines after it. Returns how many lines
  // after line i the record took: k when it wrote row m, -k - 1 when it wrote nothing
  // (rejected, or still open at the end of the batch).
  function parseQuoted (batch: LineBatch, i: number, cols: Column[], data: ColumnData[], m: number, dict: string[]): number {
    const line = batch.at(i)
    const values = splitQuoted(line, delimiter)
    if (quotedNewlines && typeof values === 'string' && values.startsWith(UNTERMINATED)) {
      const bytes = lineBytes(batch, i)
      open = { text: line, parts: [Buffer.from(bytes)], first: batch.lineNumber(i), last: batch.lineNumber(i), bytes: bytes.length }
      const k = continueQuoted(batch, i + 1)
      return closed !== undefined && writeClosed(cols, data, m, dict) ? k : -k - 1
    }
    return writeRecord(values, line, batch.lineNumber(i), lineBytes(batch, i), cols, data, m, dict) ? 0 : -1
  }

  // Adds lines from `from` on to the open record until its quoted field closes (then `closed`
  // holds it), the batch ends, or a bound is passed (then it is rejected). Returns the lines taken.
  function continueQuoted (batch: LineBatch, from: number): number {
    const rec = open!
    let j = from
    for (; j < batch.length; j++) {
      // A line the framer dropped (too long) would leave a hole in the field: reject the record.
      if (batch.lineNumber(j) !== rec.last + 1) { rejectOpen(`line ${rec.last + 1}, inside a quoted field, was dropped`); return j - from }
      const text = batch.at(j)
      if (rec.last === rec.first) multiline.records++
      multiline.lines++
      rec.last++
      rec.text += '\n' + text
      rec.parts.push(Buffer.from(lineBytes(batch, j)))
      rec.bytes += 1 + batch.end(j) - batch.start(j)
      if (rec.bytes > maxRecordBytes) { rejectOpen(`a quoted field is not closed within maxRecordBytes (${maxRecordBytes})`); return j - from + 1 }
      // Only a quote can close the field: a line without one needs no new look.
      if (text.includes('"')) {
        const values = splitQuoted(rec.text, delimiter)
        if (typeof values !== 'string' || !values.startsWith(UNTERMINATED)) {
          closed = { values, text: rec.text, line: rec.first, parts: rec.parts }
          open = undefined
          return j - from + 1
        }
      }
    }
    return j - from
  }

  function rejectOpen (detail: string): void {
    const rec = open!
    open = undefined
    reject('bad-quote', `${detail} (${rec.first === rec.last ? `line ${rec.first}` : `a record of lines ${rec.first} to ${rec.last}`})`, rec.text, rec.first, joinLines(rec.parts))
  }

  // Writes the record just closed into row m; false if rejected.
  function writeClosed (cols: Column[], data: ColumnData[], m: number, dict: string[]): boolean {
    const rec = closed!
    closed = undefined
    return writeRecord(rec.values, rec.text, rec.line, rec.parts, cols, data, m, dict)
  }

  // Writes the fields of one record into row m; false if rejected.
  function writeRecord (values: string[] | string, line: string, lineNo: number, bytes: Uint8Array | Buffer[], cols: Column[], data: ColumnData[], m: number, dict: string[]): boolean {
    if (typeof values === 'string') { reject('bad-quote', values, line, lineNo, raw(bytes)); return false }
    if (values.length !== cols.length) { reject('field-count', `expected ${cols.length} fields, got ${values.length}`, line, lineNo, raw(bytes)); return false }
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c]!
      const text = values[c]!
      const v = convertField(col, text, 0, text.length)
      if (v === INVALID) { reject(typeReason(col.type), `column "${col.name}": ${snippet(text)} is not a valid ${col.type}`, line, lineNo, raw(bytes)); return false }
      const col2 = data[c]!
      if (col2 instanceof Int32Array) { dict.push(v as string); col2[m] = dict.length - 1 } else (col2 as unknown[])[m] = v
    }
    return true
  }

  return Object.assign(parseCsvStage, { stats, multiline })
}

// A record whose quoted field is still open: its text so far, and its lines' original bytes.
interface OpenRecord {
  text: string
  parts: Buffer[]
  first: number
  last: number
  bytes: number
}

const UNTERMINATED = 'unterminated quoted field'

// The original bytes of a record: one line's, or several lines' joined with LF.
function raw (bytes: Uint8Array | Buffer[]): Uint8Array {
  return Array.isArray(bytes) ? joinLines(bytes) : bytes
}

function joinLines (parts: Buffer[]): Buffer {
  const out: Buffer[] = []
  for (const p of parts) { if (out.length > 0) out.push(LF_BYTES); out.push(p) }
  return Buffer.concat(out)
}
const LF_BYTES = Buffer.from('\n')

// The bounds of field k of a line (for messages; the hot path does not cut fields).
function fieldBounds (u: Units, s: number, e: number, delim: number, k: number): [number, number] {
  let from = s
  for (let j = 0; j < k; j++) {
    while (from < e && u[from] !== delim) from++
    from++
  }
  let to = from
  while (to < e && u[to] !== delim) to++
  return [from, to]
}

// Column sets kept for reuse: one per batch in flight in a pipeline is enough.
const COLUMN_POOL = 4
const NO_NUMBERS = new Float64Array(0)
const NO_IDS = new Int32Array(0)

// NUMBER: parseTypedRows() is written so that the optimized code does not deoptimize on a
// field it has not seen the like of, which would cost milliseconds of slow code each time. Its
// operations run on every field of their column, not only on rare ones (V8 deoptimizes at an
// operation whose first run comes after optimization): both line-end tests are computed, the
// sign is applied by a multiply by ±1 (of the value, or of the divisor: x / -p is -(x / p);
// exact, as a negation is), and the division by 10^frac is done also when frac is 0 (x / 1 is
// x). The digit accumulators start at -0, not 0: a small integer is a Smi, and optimized code
// would do Smi arithmetic on what was only ever seen small, then deoptimize at the first value
// past 2^31 (a long mantissa, a big int); -0 is a double, so the code is made for doubles from
// the start. The results do not change: -0 * 10 + d is d, and -0 * 10 + 0 is +0.

// Grows the column arrays in `data` (and their entries in nums/ids) to at least `want` rows,
// keeping rows 0..m-1.
function growColumns (data: ColumnData[], nums: Float64Array[], ids: Int32Array[], m: number, want: number): void {
  for (let c = 0; c < data.length; c++) {
    const d = data[c] as Float64Array | Int32Array
    if (d.length >= want) continue
    const cap = want + (want >> 3)
    if (d instanceof Float64Array) {
      const g = new Float64Array(cap)
      g.set(d.subarray(0, m))
      data[c] = nums[c] = g
    } else {
      const g = new Int32Array(cap)
      g.set(d.subarray(0, m))
      ids[c] = g
      data[c] = g as unknown as ColumnData
    }
  }
}

// The hash of a string field u[from, to) as parseTypedRows() computes it while it scans: FNV-1a
// style, a 32-bit little-endian word at a time, then the last 0 to 3 bytes one at a time.
function fieldHash (u: Units, from: number, to: number): number {
  let h = 0
  let q = from
  for (; q + 4 <= to; q += 4) h = Math.imul(h ^ (u[q]! | (u[q + 1]! << 8) | (u[q + 2]! << 16) | (u[q + 3]! << 24)), 16777619)
  for (; q < to; q++) h = Math.imul(h ^ u[q]!, 16777619)
  return h
}

// The value of four decimal digits, one per byte of w (each 0 to 9), the first in the low byte:
// pairs first (byte k becomes 10 * digit k + digit k + 1, no carries), then the two pairs.
function digits4 (w: number): number {
  const t = w * 10 + (w >>> 8)
  return (t & 0xff) * 100 + ((t >>> 16) & 0xff)
}

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

function countFields (u: Units, s: number, e: number, delim: number): number {
  let n = 1
  for (let i = s; i < e; i++) if (u[i] === delim) n++
  return n
}

// The header's names; with typed columns, each named column takes its type and must appear.
function headerColumns (line: string, typed: Column[] | undefined, delimiter: string): Column[] | undefined {
  const names = line.indexOf('"') >= 0 ? splitQuoted(line, delimiter) : line.split(delimiter)
  if (typeof names === 'string' || names.some(n => n === '' || n === '__proto__') || new Set(names).size !== names.length) return undefined
  const byName = new Map((typed ?? []).map(c => [c.name, c]))
  for (const name of byName.keys()) if (!names.includes(name)) return undefined
  return names.map(name => byName.get(name) ?? { name, type: 'string', optional: true })
}

/** RFC 4180 fields of one line (a field starting with `"` is quoted); a string is an error message. */
export function splitQuoted (line: string, delimiter: string): string[] | string {
  const out: string[] = []
  let i = 0
  const n = line.length
  for (;;) {
    if (line[i] === '"') {
      let v = ''
      let j = i + 1
      for (;;) {
        const q = line.indexOf('"', j)
        if (q < 0) return `${UNTERMINATED} at character ${i + 1}`
        v += line.slice(j, q)
        if (line[q + 1] === '"') { v += '"'; j = q + 2; continue }
        i = q + 1
        break
      }
      out.push(v)
      if (i === n) return out
      if (line[i] !== delimiter) return `unexpected character after a quoted field at character ${i + 1}`
      i++
    } else {
      const d = line.indexOf(delimiter, i)
      const end = d < 0 ? n : d
      // A quote inside an unquoted field is data, as lenient RFC 4180 readers take it.
      out.push(line.slice(i, end))
      if (d < 0) return out
      i = d + 1
    }
  }
}
