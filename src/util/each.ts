import type { Stage } from '../types.js'

/**
 * Turns a stream of batches (a LineBatch, a RecordBatch or an array) into a stream of single items, for a consumer that wants one record
 * at a time (`for await (const r of pipe(src, lines(), parseCsv(o), each()))`). Costs one async
 * hop per item, so place it last. Buffers one batch (the one being handed out).
 *
 * @example
 * ```ts
 * for await (const reading of pipe(fromFile('in.csv'), lines(), parseCsv({ columns: 'ts:time,v:float' }), each())) {
 *   console.log(reading.v)
 * }
 * ```
 */
export function each<T> (): Stage<Iterable<T>, T> {
  return async function * eachStage (batches) {
    for await (const batch of batches) yield * batch
  }
}
