/** A byte source passed on in whole lines, whose unfinished last line can be dropped: {@link wholeLines}. */
export type WholeLinesSource = AsyncIterable<Buffer> & {
  /**
   * Drops the unfinished line held back, if any, and returns its length in bytes (0 when the
   * input so far ended at a line end). Call it when the input was cut (a followed file was
   * truncated or replaced), before the next chunk is pulled.
   */
  cut: () => number
}

const LF = 10

/**
 * Passes a byte source on in whole lines: the bytes after a chunk's last LF are held back until
 * the LF that ends them arrives, so that {@link WholeLinesSource.cut} can drop a line the input
 * was cut in, instead of the framer gluing it to the first line of what comes next. Holds the
 * bytes after the last LF: at most the rest of one chunk, or, for a line spread over chunks,
 * `limit` bytes (the framer's `maxLineBytes` + 2); past that the held bytes are passed on, and
 * the framer drops the line as too long. At the end of the source the held bytes are passed
 * on: a last line without LF still counts. Costs one extra yield per chunk and no copy.
 *
 * @example
 * ```ts
 * let follow: WholeLinesSource | undefined
 * const src = fromFile('app.log', { follow: true, signal, onTruncate: () => { follow?.cut() } })
 * follow = wholeLines(src, 65538)
 * for await (const batch of pipe(follow, lines())) use(batch)
 * ```
 */
export function wholeLines (source: AsyncIterable<Buffer>, limit: number): WholeLinesSource {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('"limit" must be a positive integer')
  let held: Buffer[] = []
  let heldBytes = 0
  async function * wholeLinesSource (): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const last = chunk.lastIndexOf(LF)
      if (last < 0) {
        held.push(chunk)
        heldBytes += chunk.length
        if (heldBytes > limit) yield * release()
        continue
      }
      yield * release()
      yield last === chunk.length - 1 ? chunk : chunk.subarray(0, last + 1)
      if (last < chunk.length - 1) {
        held.push(chunk.subarray(last + 1))
        heldBytes = chunk.length - last - 1
      }
    }
    yield * release()
  }
  function * release (): Generator<Buffer> {
    const out = held
    held = []
    heldBytes = 0
    yield * out
  }
  const cut = (): number => {
    const n = heldBytes
    held = []
    heldBytes = 0
    return n
  }
  return Object.assign({ [Symbol.asyncIterator]: wholeLinesSource }, { cut })
}
