import { asRecordBatch, type RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { jsonValue } from './json-text.js'

/** Live counters of a formatting stage. */
export interface FormatStats {
  /** Records formatted. */
  records: number
}

export type FormatStage = Stage<RecordBatch | SensorRecord[], string> & { readonly stats: FormatStats }

/**
 * Formats each batch of records as JSON lines: one string per batch, one `JSON.stringify`d
 * record per line, each ending in LF. Buffers one batch's text.
 *
 * @example
 * ```ts
 * await writeTo(process.stdout)(pipe(readings, toJsonLines()))
 * ```
 */
export function toJsonLines (): FormatStage {
  const stats: FormatStats = { records: 0 }
  async function * toJsonLinesStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<string> {
    for await (const input of batches) {
      const batch = asRecordBatch(input)
      if (batch.length === 0) continue
      let text = ''
      const fields = batch.fields
      if (fields !== undefined) {
        // Columnar: keys written once per batch, values straight from the columns. A field that
        // is undefined in a row is left out, as JSON.stringify does for an object.
        const keys = fields.map(f => JSON.stringify(f) + ':')
        // A dictionary column is escaped once per distinct value.
        const dicts = fields.map(f => batch.dictionary(f))
        const dictText = dicts.map(d => d === undefined ? [] : d.dict.map(v => JSON.stringify(v)))
        const cols = fields.map((f, j) => dicts[j] === undefined ? batch.values(f)! : [])
        const nf = fields.length
        for (let i = 0; i < batch.length; i++) {
          let line = '{'
          for (let j = 0; j < nf; j++) {
            const d = dicts[j]
            let t: string
            if (d !== undefined) t = dictText[j]![d.ids[i]!]!
            else {
              const v = cols[j]![i]
              if (v === undefined) continue
              t = jsonValue(v)
            }
            line += (line.length > 1 ? ',' : '') + keys[j]! + t
          }
          text += line + '}\n'
        }
      } else {
        for (let i = 0; i < batch.length; i++) text += JSON.stringify(batch.row(i)) + '\n'
      }
      stats.records += batch.length
      yield text
    }
  }
  return Object.assign(toJsonLinesStage, { stats })
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
export function toCsv (options: ToCsvOptions = {}): FormatStage {
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
      const batch = asRecordBatch(input).toRows()
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
