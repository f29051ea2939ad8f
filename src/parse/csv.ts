import type { SensorRecord, Stage } from '../types.js'
import { type Column, convertField, INVALID, parseColumns, typeReason } from './columns.js'
import { newParseStats, type OnError, type ParseStats, rejecter, snippet } from './reject.js'

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
}

export type ParseCsvStage = Stage<string[], SensorRecord[]> & { readonly stats: ParseStats }

/**
 * Parses batches of CSV lines into batches of typed records. Strict: a line must have exactly
 * one field per column and every field must fit its type, else it is rejected (counted by reason
 * in `stats`, optionally handed to `onError` with its raw text); a rejection never ends the stream.
 * A field that starts with `"` is read as an RFC 4180 quoted field (`""` is a quote; a quoted
 * field cannot span lines); a quote elsewhere is data. Buffers nothing beyond the batch in hand.
 *
 * @example
 * ```ts
 * const parser = parseCsv({ columns: 'ts:time,sensor:string,value:float' })
 * for await (const batch of pipe(fromFile('in.csv'), lines(), parser)) console.log(batch[0]?.value)
 * console.error(parser.stats.malformed, 'malformed')
 * ```
 */
export function parseCsv (options: ParseCsvOptions = {}): ParseCsvStage {
  const { header = false, delimiter = ',' } = options
  if (typeof header !== 'boolean') throw new TypeError('"header" must be a boolean')
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new TypeError('"delimiter" must be one character other than a quote, CR or LF')
  }
  const typed = options.columns === undefined ? undefined : parseColumns(options.columns)
  if (typed === undefined && !header) throw new TypeError('parseCsv needs "columns", "header: true", or both')
  const stats = newParseStats()
  const reject = rejecter('parseCsv', stats, options.onError)
  const delim = delimiter.charCodeAt(0)

  async function * parseCsvStage (batches: AsyncIterable<string[]>): AsyncGenerator<SensorRecord[]> {
    let columns: Column[] | undefined = header ? undefined : typed
    // Field boundaries of the line in hand, reused across lines.
    const fieldStart: number[] = []
    const fieldEnd: number[] = []
    for await (const batch of batches) {
      const out: SensorRecord[] = []
      for (let b = 0; b < batch.length; b++) {
        const line = batch[b]!
        stats.lines++
        if (columns === undefined) {
          columns = headerColumns(line, typed, delimiter)
          if (columns === undefined) reject('bad-header', `header ${snippet(line)} does not name the columns`, line)
          continue
        }
        const ncol = columns.length
        // Field boundaries by scanning for the delimiter; no intermediate strings.
        let start = 0
        let c = 0
        let quoted = false
        for (; c < ncol; c++) {
          if (line.charCodeAt(start) === 34) { quoted = true; break }
          const end = c === ncol - 1 ? (line.indexOf(delimiter, start) < 0 ? line.length : -1) : line.indexOf(delimiter, start)
          if (end < 0) break
          fieldStart[c] = start
          fieldEnd[c] = end
          start = end + 1
        }
        const rec: SensorRecord = {}
        if (quoted) {
          // A field starts with a quote: the general RFC 4180 path.
          const values = splitQuoted(line, delimiter)
          if (typeof values === 'string') { reject('bad-quote', values, line); continue }
          if (values.length !== ncol) { reject('field-count', `expected ${ncol} fields, got ${values.length}`, line); continue }
          let ok = true
          for (c = 0; c < ncol; c++) {
            const col = columns[c]!
            const text = values[c]!
            const v = convertField(col, text, 0, text.length)
            if (v === INVALID) { reject(typeReason(col.type), `column "${col.name}": ${snippet(text)} is not a valid ${col.type}`, line); ok = false; break }
            rec[col.name] = v
          }
          if (ok) out.push(rec)
          continue
        }
        if (c !== ncol) {
          reject('field-count', `expected ${ncol} fields, got ${countFields(line, delim)}`, line)
          continue
        }
        let ok = true
        for (c = 0; c < ncol; c++) {
          const col = columns[c]!
          const from = fieldStart[c]!
          const to = fieldEnd[c]!
          const v = convertField(col, line, from, to)
          if (v === INVALID) {
            reject(typeReason(col.type), `column "${col.name}": ${snippet(line.slice(from, to))} is not a valid ${col.type}`, line)
            ok = false
            break
          }
          rec[col.name] = v
        }
        if (ok) out.push(rec)
      }
      stats.parsed += out.length
      if (out.length > 0) yield out
    }
  }

  return Object.assign(parseCsvStage, { stats })
}

function countFields (line: string, delim: number): number {
  let n = 1
  for (let i = 0; i < line.length; i++) if (line.charCodeAt(i) === delim) n++
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

/** RFC 4180 fields of one line; a string is an error message. */
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
        if (q < 0) return `unterminated quoted field at character ${i + 1}`
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
