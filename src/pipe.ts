import type { Stage } from './types.js'

/**
 * Composes a source with stages, left to right. Lazy: nothing is pulled until the result is
 * iterated, and breaking out of the result ends every stage and the source (their `finally` runs).
 * Buffers nothing itself.
 *
 * @example
 * ```ts
 * for await (const batch of pipe(fromFile('in.csv'), lines(), parseCsv({ columns: 'ts:time,v:float' }))) {
 *   console.log(batch.length)
 * }
 * ```
 */
export function pipe<A> (source: AsyncIterable<A>): AsyncIterable<A>
export function pipe<A, B> (source: AsyncIterable<A>, s1: Stage<A, B>): AsyncIterable<B>
export function pipe<A, B, C> (source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>): AsyncIterable<C>
export function pipe<A, B, C, D> (source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): AsyncIterable<D>
export function pipe<A, B, C, D, E> (source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>): AsyncIterable<E>
export function pipe<A, B, C, D, E, F> (source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>): AsyncIterable<F>
export function pipe<A, B, C, D, E, F, G> (source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>): AsyncIterable<G>
export function pipe<A, B, C, D, E, F, G, H> (source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>, s7: Stage<G, H>): AsyncIterable<H>
export function pipe (source: AsyncIterable<unknown>, ...stages: Array<Stage<any, any>>): AsyncIterable<unknown>
export function pipe (source: AsyncIterable<unknown>, ...stages: Array<Stage<any, any>>): AsyncIterable<unknown> {
  if (source == null || typeof (source as any)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('pipe: the first argument must be an async iterable source')
  }
  let acc = source
  for (const [i, stage] of stages.entries()) {
    if (typeof stage !== 'function') throw new TypeError(`pipe: stage ${i + 1} is not a function`)
    acc = stage(acc)
  }
  return acc
}
