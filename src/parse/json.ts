import { asLineBatch, type LineBatch } from '../batch/line-batch.js'
import { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import { lineBytes, newParseStats, type OnError, type ParseStats, rejecter } from './reject.js'

export interface ParseJsonOptions {
  /** A rejected line: `'skip'` (count it, the default), `'fail'` (throw), or a handler. */
  onError?: OnError
  /**
   * Deepest nesting of objects and arrays kept in a record (the record itself is level 1).
   * Deeper records are rejected (`too-deep`), so that no later stage or output recurses without
   * bound. Default 100.
   */
  maxDepth?: number
}

export type ParseJsonStage = Stage<LineBatch | string[], RecordBatch> & { readonly stats: ParseStats }

/**
 * Parses batches of JSON lines into batches of records. Each line must hold one JSON object;
 * invalid JSON (`bad-json`), another JSON value (`not-object`), nesting deeper than `maxDepth`
 * (`too-deep`) and a number too large for a double, which JSON.parse reads as Infinity
 * (`not-finite`, e.g. `1e999`), are rejected and counted, never thrown. An empty or all-blank
 * line is rejected as `empty`. Buffers nothing beyond the batch in hand; the line length is bounded by
 * the framer's `maxLineBytes`.
 *
 * @example
 * ```ts
 * for await (const batch of pipe(fromFile('in.jsonl'), lines(), parseJson())) console.log(batch.length)
 * ```
 */
export function parseJson (options: ParseJsonOptions = {}): ParseJsonStage {
  const maxDepth = positiveInteger('maxDepth', options.maxDepth ?? 100)
  const stats = newParseStats()
  const reject = rejecter('parseJson', stats, options.onError)
  async function * parseJsonStage (batches: AsyncIterable<LineBatch | string[]>): AsyncGenerator<RecordBatch> {
    let nextLine = 1 // line numbers for string[] input, which carries none
    for await (const input of batches) {
      const batch = asLineBatch(input, nextLine)
      nextLine += batch.length
      const out: SensorRecord[] = []
      for (let li = 0; li < batch.length; li++) {
        const line = batch.at(li)
        stats.lines++
        let value: unknown
        try {
          value = JSON.parse(line)
        } catch (err) {
          if (line.trim() === '') reject('empty', 'empty line', line, batch.lineNumber(li), lineBytes(batch, li))
          else if (err instanceof RangeError) reject('too-deep', 'JSON nested too deeply', line, batch.lineNumber(li), lineBytes(batch, li))
          else reject('bad-json', (err as Error).message, line, batch.lineNumber(li), lineBytes(batch, li))
          continue
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          reject('not-object', `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, line, batch.lineNumber(li), lineBytes(batch, li))
          continue
        }
        const unfit = checkValues(value as SensorRecord, maxDepth)
        if (unfit !== undefined) {
          if (unfit.depth) reject('too-deep', `field "${unfit.field}" is nested deeper than maxDepth (${maxDepth})`, line, batch.lineNumber(li), lineBytes(batch, li))
          else reject('not-finite', `field "${unfit.field}" holds a number too large for a double (it reads as Infinity)`, line, batch.lineNumber(li), lineBytes(batch, li))
          continue
        }
        out.push(value as SensorRecord)
      }
      stats.parsed += out.length
      batch.release()
      if (out.length > 0) yield RecordBatch.fromRows(out)
    }
  }
  return Object.assign(parseJsonStage, { stats })
}

// A flat record costs one pass over its own fields; nested values are walked with an explicit
// stack, so a record deep enough to overflow a recursive walk (or JSON.stringify later) is found
// without recursing. Returns the top-level field holding the first value that does not fit.
function checkValues (rec: SensorRecord, maxDepth: number): { field: string, depth: boolean } | undefined {
  let nested: Array<[unknown, number, string]> | undefined
  for (const k in rec) {
    const v = rec[k]
    if (typeof v === 'number') {
      if (v - v !== 0) return { field: k, depth: false }
    } else if (typeof v === 'object' && v !== null) {
      (nested ??= []).push([v, 2, k])
    }
  }
  if (nested === undefined) return undefined
  while (nested.length > 0) {
    const [o, depth, field] = nested.pop()!
    if (depth > maxDepth) return { field, depth: true }
    for (const v of Array.isArray(o) ? o as unknown[] : Object.values(o as object)) {
      if (typeof v === 'number') {
        if (v - v !== 0) return { field, depth: false }
      } else if (typeof v === 'object' && v !== null) {
        nested.push([v, depth + 1, field])
      }
    }
  }
  return undefined
}
