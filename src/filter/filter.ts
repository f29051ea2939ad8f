import type { SensorRecord, Stage } from '../types.js'
import { compileExpression } from './expression.js'

/** Live counters of a {@link filter} stage. */
export interface FilterStats {
  /** Records that passed. */
  kept: number
  /** Records dropped by the predicate. */
  dropped: number
}

export type FilterStage<T> = Stage<T[], T[]> & { readonly stats: FilterStats }

/**
 * Keeps the records of each batch for which `predicate` returns true; the rest are dropped and
 * counted in `stats.dropped`. An empty batch is not passed on. A predicate that throws rejects
 * the pending `next()` (and the source is closed). Buffers nothing beyond the batch in hand.
 *
 * @example
 * ```ts
 * const hot = filter((r: { value: number }) => r.value > 30)
 * for await (const batch of pipe(readings, hot)) console.log(batch)
 * ```
 */
export function filter<T> (predicate: (record: T) => unknown): FilterStage<T> {
  if (typeof predicate !== 'function') throw new TypeError('"predicate" must be a function')
  const stats: FilterStats = { kept: 0, dropped: 0 }
  async function * filterStage (batches: AsyncIterable<T[]>): AsyncGenerator<T[]> {
    for await (const batch of batches) {
      const out: T[] = []
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!
        if (predicate(r)) out.push(r)
      }
      stats.kept += out.length
      stats.dropped += batch.length - out.length
      if (out.length > 0) yield out
    }
  }
  return Object.assign(filterStage, { stats })
}

/**
 * A {@link filter} by a `--where` expression (see {@link compileExpression} for the language).
 * A bad expression throws `ExpressionError` at build time, pointing at the column.
 *
 * @example
 * ```ts
 * pipe(fromFile('in.csv'), lines(), parseCsv({ columns: 'ts:time,value:float' }), where('value >= -40 && value <= 125'))
 * ```
 */
export function where (expression: string): FilterStage<SensorRecord> {
  const { evaluate } = compileExpression(expression)
  return filter<SensorRecord>(r => {
    const v = evaluate(r)
    return v !== false && v !== 0 && v !== '' && v != null && v === v
  })
}
