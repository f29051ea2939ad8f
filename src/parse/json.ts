import { asLineBatch, type LineBatch } from '../batch/line-batch.js'
import { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { newParseStats, type OnError, type ParseStats, rejecter } from './reject.js'

export interface ParseJsonOptions {
  /** A rejected line: `'skip'` (count it, the default), `'fail'` (throw), or a handler. */
  onError?: OnError
}

export type ParseJsonStage = Stage<LineBatch | string[], RecordBatch> & { readonly stats: ParseStats }

/**
 * Parses batches of JSON lines into batches of records. Each line must hold one JSON object;
 * invalid JSON (`bad-json`), another JSON value (`not-object`) and nesting too deep for the
 * engine (`too-deep`) are rejected and counted, never thrown. An empty or all-blank line is
 * rejected as `empty`. Buffers nothing beyond the batch in hand; the line length is bounded by
 * the framer's `maxLineBytes`.
 *
 * @example
 * ```ts
 * for await (const batch of pipe(fromFile('in.jsonl'), lines(), parseJson())) console.log(batch.length)
 * ```
 */
export function parseJson (options: ParseJsonOptions = {}): ParseJsonStage {
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
          if (line.trim() === '') reject('empty', 'empty line', line, batch.lineNumber(li))
          else if (err instanceof RangeError) reject('too-deep', 'JSON nested too deeply', line, batch.lineNumber(li))
          else reject('bad-json', (err as Error).message, line, batch.lineNumber(li))
          continue
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          reject('not-object', `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, line, batch.lineNumber(li))
          continue
        }
        out.push(value as SensorRecord)
      }
      stats.parsed += out.length
      if (out.length > 0) yield RecordBatch.fromRows(out)
    }
  }
  return Object.assign(parseJsonStage, { stats })
}
