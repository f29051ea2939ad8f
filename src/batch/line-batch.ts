/**
 * A batch of text lines held compactly: one decoded string for the whole chunk and the offsets of
 * each line in it, so framing makes no string per line. Iterating gives the lines as strings;
 * `at(i)` gives one. Parsers read `text` between `start(i)` and `end(i)` directly.
 */
export class LineBatch implements Iterable<string> {
  /** Number of lines. */
  readonly length: number
  /** The decoded text the lines are cut from (line endings and dropped lines included). */
  readonly text: string
  /** True when `text` is pure ASCII (a char is a byte). */
  readonly ascii: boolean
  readonly #starts: Int32Array
  readonly #ends: Int32Array
  readonly #firstLine: number
  readonly #numbers: Float64Array | undefined

  /**
   * @param text the decoded text
   * @param starts start offset of each line in `text`
   * @param ends end offset (exclusive, line ending removed) of each line
   * @param length the number of lines (the offset arrays may be longer)
   * @param firstLine the input line number of the first line (1-based)
   * @param numbers each line's input line number, when lines were dropped in between
   */
  constructor (text: string, starts: Int32Array, ends: Int32Array, length: number, firstLine: number, ascii = false, numbers?: Float64Array) {
    this.text = text
    this.#starts = starts
    this.#ends = ends
    this.length = length
    this.#firstLine = firstLine
    this.ascii = ascii
    this.#numbers = numbers
  }

  /** A batch of the given strings (for tests and per-item sources). */
  static of (lines: readonly string[], firstLine = 1, numbers?: Float64Array): LineBatch {
    const starts = new Int32Array(lines.length)
    const ends = new Int32Array(lines.length)
    let pos = 0
    for (let i = 0; i < lines.length; i++) {
      starts[i] = pos
      pos += lines[i]!.length
      ends[i] = pos
      pos++
    }
    return new LineBatch(lines.join('\n'), starts, ends, lines.length, firstLine, false, numbers)
  }

  /** Offset of line i's first char in `text`. */
  start (i: number): number { return this.#starts[i]! }
  /** Offset just past line i's last char (its line ending excluded). */
  end (i: number): number { return this.#ends[i]! }
  /** Line i as a string. */
  at (i: number): string { return this.text.slice(this.#starts[i], this.#ends[i]) }
  /** The input line number (1-based) of line i, counting dropped lines too. */
  lineNumber (i: number): number { return this.#numbers === undefined ? this.#firstLine + i : this.#numbers[i]! }

  * [Symbol.iterator] (): Iterator<string> {
    for (let i = 0; i < this.length; i++) yield this.at(i)
  }

  /** The lines as an array of strings. */
  toArray (): string[] {
    const out = new Array<string>(this.length)
    for (let i = 0; i < this.length; i++) out[i] = this.at(i)
    return out
  }
}

/** Accepts a LineBatch or an array of strings (what user code tends to yield). */
export function asLineBatch (batch: LineBatch | readonly string[]): LineBatch {
  if (batch instanceof LineBatch) return batch
  if (Array.isArray(batch)) return LineBatch.of(batch)
  throw new TypeError(`expected a LineBatch or an array of strings, got ${typeof batch}`)
}
