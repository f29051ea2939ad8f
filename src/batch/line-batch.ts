import { Owned } from './owned.js'

/** The bytes of a batch's text (UTF-8). */
export type Units = Uint8Array

/**
 * A batch of text lines held compactly: the UTF-8 bytes of the whole chunk and the byte offsets
 * of each line in them, so framing decodes nothing and makes no string per line. Iterating gives
 * the lines as strings (decoded on demand, each invalid sequence becoming U+FFFD); `at(i)` gives
 * one. Parsers read `units` between `start(i)` and `end(i)` directly: LF, CR and ASCII
 * delimiters never occur inside a UTF-8 sequence, so bytes split exactly as decoded text would.
 *
 * A batch made by {@link lines} has pooled offset arrays: its consumer calls `release()` when
 * done, and `lines` fills them again (see {@link Owned}).
 */
export class LineBatch extends Owned implements Iterable<string> {
  /** Number of lines. */
  readonly length: number
  readonly #units: Units
  readonly #starts: Int32Array
  readonly #ends: Int32Array
  readonly #firstLine: number
  readonly #numbers: Float64Array | undefined

  /**
   * @param units the text's UTF-8 bytes
   * @param starts start offset of each line in `units`
   * @param ends end offset (exclusive, line ending removed) of each line
   * @param length the number of lines (the offset arrays may be longer)
   * @param firstLine the input line number of the first line (1-based)
   * @param numbers each line's input line number, when lines were dropped in between
   * @param recycle hands the offset arrays back to their pool at the last `release()`
   */
  constructor (units: Units, starts: Int32Array, ends: Int32Array, length: number, firstLine: number, numbers?: Float64Array, recycle?: () => void) {
    super(recycle)
    this.#units = units
    this.#starts = starts
    this.#ends = ends
    this.length = length
    this.#firstLine = firstLine
    this.#numbers = numbers
  }

  /** A batch of the given strings (for tests and per-item sources). */
  static of (lines: readonly string[], firstLine = 1, numbers?: Float64Array): LineBatch {
    const starts = new Int32Array(lines.length)
    const ends = new Int32Array(lines.length)
    let pos = 0
    for (let i = 0; i < lines.length; i++) {
      starts[i] = pos
      pos += Buffer.byteLength(lines[i]!)
      ends[i] = pos
      pos++
    }
    return new LineBatch(unitsOf(lines.join('\n')), starts, ends, lines.length, firstLine, numbers)
  }

  /**
   * The start offsets of the lines, for hot loops that would rather not call {@link start} per
   * line: entries 0..length-1 are the lines' (the array may be longer). Read it, never write it.
   */
  get starts (): Int32Array { this.assertLive(); return this.#starts }
  /** The end offsets of the lines, as {@link starts} is to {@link start}. Read it, never write it. */
  get ends (): Int32Array { this.assertLive(); return this.#ends }
  /** The bytes the lines are cut from (line endings and dropped lines included). */
  get units (): Units { this.assertLive(); return this.#units }

  /** Offset of line i's first unit. */
  start (i: number): number { this.assertLive(); return this.#starts[i]! }
  /** Offset just past line i's last unit (its line ending excluded). */
  end (i: number): number { this.assertLive(); return this.#ends[i]! }
  /** Line i as a string. */
  at (i: number): string { this.assertLive(); return decodeUnits(this.#units, this.#starts[i]!, this.#ends[i]!) }
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

/** The UTF-8 bytes of a string. */
export function unitsOf (text: string): Units {
  return Buffer.from(text, 'utf8')
}

/** The text of bytes[from, to), UTF-8 decoded: a fresh flat string (never a view of a larger one). */
export function decodeUnits (units: Units, from: number, to: number): string {
  return Buffer.from(units.buffer, units.byteOffset + from, to - from).toString('utf8')
}

/** Accepts a LineBatch or an array of strings (what user code tends to yield). */
export function asLineBatch (batch: LineBatch | readonly string[], firstLine = 1): LineBatch {
  if (batch instanceof LineBatch) return batch
  if (Array.isArray(batch)) return LineBatch.of(batch, firstLine)
  throw new TypeError(`expected a LineBatch or an array of strings, got ${typeof batch}`)
}
