import { asRecordBatch, type RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord, Stage } from '../types.js'
import { compileExpression, type SelectionProgram } from './expression.js'

/** Live counters of a filter stage. */
export interface FilterStats {
  /** Records that passed. */
  kept: number
  /** Records dropped by the predicate. */
  dropped: number
}

export type FilterStage = Stage<RecordBatch | SensorRecord[], RecordBatch> & { readonly stats: FilterStats }

// 0, 1, ..., n - 1.
function iota (n: number): Uint32Array {
  const a = new Uint32Array(n)
  for (let i = 0; i < n; i++) a[i] = i
  return a
}

// Keeps the rows of each batch that `program` keeps out of all of them; shared by filter and where.
function selecting (program: SelectionProgram): FilterStage {
  const stats: FilterStats = { kept: 0, dropped: 0 }
  let sel = new Uint32Array(1024)
  // 0, 1, 2, ...: each batch's selection starts as a copy of it (a native copy, about a third of
  // what a loop writing the indices cost).
  let identity = iota(1024)
  async function * filterStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch> {
    for await (const input of batches) {
      const batch = asRecordBatch(input)
      const n = batch.length
      if (sel.length < n) {
        sel = new Uint32Array(n)
        identity = iota(n)
      }
      sel.set(n === identity.length ? identity : identity.subarray(0, n))
      const k = program(batch, sel, n)
      stats.kept += k
      stats.dropped += n - k
      // The batch is this stage's: its rows are kept in place when its storage allows (keepRows).
      if (k > 0) yield batch.keepRows(sel, k)
      else batch.release()
    }
  }
  return Object.assign(filterStage, { stats })
}

/**
 * Keeps the records of each batch for which `predicate` returns true (truthy); the rest are
 * dropped and counted in `stats.dropped`. An empty batch is not passed on. The predicate sees
 * plain records (made on demand from columnar batches: use {@link where} on hot paths). A
 * predicate that throws rejects the pending `next()` and the source is closed. Holds one batch.
 *
 * @example
 * ```ts
 * const hot = filter(r => (r.value as number) > 30)
 * for await (const batch of pipe(readings, hot)) console.log(batch.length)
 * ```
 */
export function filter (predicate: (record: SensorRecord) => unknown): FilterStage {
  if (typeof predicate !== 'function') throw new TypeError('"predicate" must be a function')
  return selecting((batch, sel, n) => {
    let k = 0
    for (let j = 0; j < n; j++) {
      const i = sel[j]!
      if (predicate(batch.row(i))) sel[k++] = i
    }
    return k
  })
}

/**
 * A filter by a `--where` expression (see {@link compileExpression} for the language), evaluated
 * on columns: on a typed batch, a comparison of a numeric field with a number is one loop over
 * the column that narrows a selection of rows, `&&` runs its right side only on the rows its left
 * side kept, and what cannot run on columns is evaluated row by row on the rows still selected.
 * Holds a selection array and the indices it starts from (and one more per `!` or `||`), each the
 * size of the largest batch. A bad expression throws `ExpressionError` at build time, pointing at
 * the column.
 *
 * @example
 * ```ts
 * pipe(fromFile('in.csv'), lines(), parseCsv({ columns: 'ts:time,value:float' }), where('value >= -40 && value <= 125'))
 * ```
 */
export function where (expression: string): FilterStage {
  return selecting(compileExpression(expression).refine)
}

