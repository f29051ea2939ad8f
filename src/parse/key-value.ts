import { asLineBatch, type LineBatch } from '../batch/line-batch.js'
import { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { type Column, convertField, INVALID, parseColumns, parseFloatStrict, typeReason } from './columns.js'
import { lineBytes, newParseStats, type OnError, type ParseStats, rejecter, snippet } from './reject.js'

export interface ParseKeyValueOptions {
  /**
   * Types for named keys (`'temp:float,unit:string'`). Other keys' values become numbers when
   * they are strict decimal numbers, else strings. A typed key that is missing is rejected
   * (`missing-key`) unless its type ends in `?`.
   */
  columns?: string | ReadonlyArray<string | Column>
  /** A rejected line: `'skip'` (count it, the default), `'fail'` (throw), or a handler. */
  onError?: OnError
}

export type ParseKeyValueStage = Stage<LineBatch | string[], RecordBatch> & { readonly stats: ParseStats }

/**
 * Parses batches of `key=value` lines into batches of records. Pairs are separated by spaces,
 * tabs or commas; a key is joined to its value by `=` or `:`, so both `temp=21.5 hum=40` and the
 * Arduino serial-plotter style `temp:21.5,hum:40` read as `{ temp: 21.5, hum: 40 }`. A token
 * without a key (`bare-value`), an empty key, a repeated key, a line with no pairs (`empty`) or a
 * typed value that does not fit are rejected and counted. Buffers nothing beyond the batch.
 *
 * @example
 * ```ts
 * for await (const batch of pipe(fromStdin(), lines(), parseKeyValue({ columns: 'temp:float' }))) console.log(batch)
 * ```
 */
export function parseKeyValue (options: ParseKeyValueOptions = {}): ParseKeyValueStage {
  const typed = options.columns === undefined ? [] : parseColumns(options.columns)
  const types = new Map(typed.map(c => [c.name, c]))
  const stats = newParseStats()
  const reject = rejecter('parseKeyValue', stats, options.onError)

  async function * parseKeyValueStage (batches: AsyncIterable<LineBatch | string[]>): AsyncGenerator<RecordBatch> {
    let nextLine = 1 // line numbers for string[] input, which carries none
    for await (const input of batches) {
      const batch = asLineBatch(input, nextLine)
      nextLine += batch.length
      const out: SensorRecord[] = []
      lines: for (let li = 0; li < batch.length; li++) {
        const line = batch.at(li)
        stats.lines++
        const rec: SensorRecord = {}
        let pairs = 0
        let i = 0
        const n = line.length
        while (i < n) {
          let c = line.charCodeAt(i)
          if (c === 32 || c === 9 || c === 44) { i++; continue }
          let j = i
          while (j < n) { c = line.charCodeAt(j); if (c === 32 || c === 9 || c === 44) break; j++ }
          // token line[i, j): key, then the first '=' or ':'
          let sep = -1
          for (let k = i; k < j; k++) { const d = line.charCodeAt(k); if (d === 61 || d === 58) { sep = k; break } }
          if (sep < 0) { reject('bare-value', `token ${snippet(line.slice(i, j))} has no key (write key=value or key:value)`, line, batch.lineNumber(li), lineBytes(batch, li)); continue lines }
          if (sep === i) { reject('empty-key', `token ${snippet(line.slice(i, j))} has an empty key`, line, batch.lineNumber(li), lineBytes(batch, li)); continue lines }
          const key = line.slice(i, sep)
          if (Object.prototype.hasOwnProperty.call(rec, key)) { reject('repeated-key', `key "${key}" appears twice`, line, batch.lineNumber(li), lineBytes(batch, li)); continue lines }
          const col = types.get(key)
          let value: unknown
          if (col !== undefined) {
            value = convertField(col, line, sep + 1, j)
            if (value === INVALID) { reject(typeReason(col.type), `key "${key}": ${snippet(line.slice(sep + 1, j))} is not a valid ${col.type}`, line, batch.lineNumber(li), lineBytes(batch, li)); continue lines }
          } else {
            const v = parseFloatStrict(line, sep + 1, j)
            value = v === v ? v : line.slice(sep + 1, j)
          }
          if (key === '__proto__') Object.defineProperty(rec, key, { value, enumerable: true, writable: true, configurable: true })
          else rec[key] = value
          pairs++
          i = j
        }
        if (pairs === 0) { reject('empty', 'no key=value pairs', line, batch.lineNumber(li), lineBytes(batch, li)); continue }
        for (const col of typed) {
          if (!Object.prototype.hasOwnProperty.call(rec, col.name)) {
            if (col.optional) rec[col.name] = null
            else { reject('missing-key', `key "${col.name}" is missing`, line, batch.lineNumber(li), lineBytes(batch, li)); continue lines }
          }
        }
        out.push(rec)
      }
      stats.parsed += out.length
      batch.release()
      if (out.length > 0) yield RecordBatch.fromRows(out)
    }
  }
  return Object.assign(parseKeyValueStage, { stats })
}
