import type { Readable } from 'node:stream'
import type { SourceOptions } from '../types.js'

export interface FromStdinOptions extends SourceOptions {
  /** The stream to read; default `process.stdin`. Tests pass their own. */
  stream?: Readable
}

/**
 * Reads standard input as a stream of Buffer chunks. Holds at most the stream's own
 * `highWaterMark` (64 KiB for stdin); reading pauses while the consumer is busy. Ends at end of
 * input or when the signal aborts (the stream is then destroyed, so the process can exit).
 *
 * @example
 * ```ts
 * for await (const batch of pipe(fromStdin(), lines())) console.log(batch.length)
 * ```
 */
export function fromStdin (options: FromStdinOptions = {}): AsyncIterable<Buffer> {
  const { signal } = options
  return {
    async * [Symbol.asyncIterator] () {
      const stream = options.stream ?? process.stdin
      const aborted = (): boolean => signal?.aborted === true
      if (aborted()) return
      const onAbort = (): void => { stream.destroy() }
      signal?.addEventListener('abort', onAbort)
      try {
        for await (const chunk of stream) {
          yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer
        }
      } catch (err) {
        // Destroying the stream on abort rejects the pending read with ERR_STREAM_PREMATURE_CLOSE.
        if (!aborted()) throw err
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    }
  }
}
