import { Owned } from './owned.js'

/** The bytes of a batch's text (UTF-8). */
export type Units = Uint8Array

/**
 * How a lazily framed batch is cut into lines: supplied by the stage that made it ({@link lines}),
 * so that whoever frames it counts its lines, drops over-long ones and numbers them the way that
 * stage would have. Not for user code.
 */
export interface LazyFraming {
  /** Longest line kept, in bytes (a longer one is dropped when framed). */
  readonly maxLineBytes: number
  /**
   * Offset arrays with room for the lines `bytes` bytes likely hold, that number (from the lines
   * framed so far), and the first line's number.
   */
  begin (bytes: number): { starts: Int32Array, ends: Int32Array, expected: number, firstLine: number }
  /** Offset arrays twice as long, holding the first `count` entries of these. */
  grow (starts: Int32Array, ends: Int32Array, count: number): [Int32Array, Int32Array]
  /**
   * Frames the rest, units[from, units.length), after `count` lines already in starts/ends
   * (numbered from firstLine, none dropped), and counts all the batch's lines.
   */
  finish (units: Units, from: number, starts: Int32Array, ends: Int32Array, count: number, firstLine: number): { starts: Int32Array, ends: Int32Array, length: number, numbers: Float64Array | undefined }
}

/** A lazily framed batch while its consumer frames it (see {@link LineBatch.beginFraming}). */
export interface Framing {
  /** Start offsets to fill, one per line framed; grow them with {@link LineBatch.growFraming}. */
  starts: Int32Array
  /** End offsets (line ending excluded) to fill beside `starts`. */
  ends: Int32Array
  /** Longest line to keep: frame a longer one through {@link LineBatch.endFraming}, which drops it. */
  readonly maxLineBytes: number
  /** About how many lines the batch holds, from the bytes per line framed so far (for sizing what is made per line). */
  readonly expected: number
}

const NO_OFFSETS = new Int32Array(0)

/**
 * A batch of text lines held compactly: the UTF-8 bytes of the whole chunk and the byte offsets
 * of each line in them, so framing decodes nothing and makes no string per line. Iterating gives
 * the lines as strings (decoded on demand, each invalid sequence becoming U+FFFD); `at(i)` gives
 * one. Parsers read `units` between `start(i)` and `end(i)` directly: LF, CR and ASCII
 * delimiters never occur inside a UTF-8 sequence, so bytes split exactly as decoded text would.
 *
 * A batch made by {@link lines} has pooled offset arrays: its consumer calls `release()` when
 * done, and `lines` fills them again (see {@link Owned}).
 *
 * **Framed lazily.** A batch made by {@link lines} holds whole lines, each ending in LF, and is
 * cut into lines the first time anything asks for them (`length`, `start(i)`, iteration...), so
 * that a consumer which finds the line ends itself while it reads the bytes (the typed CSV parser
 * does) saves a pass over them: see {@link beginFraming}. Counters, line numbers and dropped
 * over-long lines are the same either way; `lines` frames a batch nobody read before it makes the
 * next one, and at the end.
 */
export class LineBatch extends Owned implements Iterable<string> {
  readonly #units: Units
  #length: number
  #starts: Int32Array
  #ends: Int32Array
  #firstLine: number
  #numbers: Float64Array | undefined
  // While not framed yet: how to frame it. While being framed by its consumer: also `framing`.
  #lazy: LazyFraming | undefined
  #framing: Framing | undefined

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
    this.#length = length
    this.#firstLine = firstLine
    this.#numbers = numbers
  }

  /**
   * A batch of the lines in `units`, each ending in LF (the last byte is an LF), cut into lines
   * by `framing` when first asked. For {@link lines}.
   */
  static lazy (units: Units, framing: LazyFraming, recycle?: () => void): LineBatch {
    const batch = new LineBatch(units, NO_OFFSETS, NO_OFFSETS, 0, 1, undefined, recycle)
    batch.#lazy = framing
    return batch
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

  /** False while a lazily framed batch is not cut into lines yet. */
  get framed (): boolean { return this.#lazy === undefined }

  /**
   * For a consumer that finds the line ends itself as it reads the bytes: the offset arrays to
   * fill, or undefined when the batch is framed already (then read its offsets). The lines are
   * `units` from byte 0 on, each ending in LF. For line i, set `starts[i]` to its first byte and
   * `ends[i]` to its end without the LF (or CRLF: one CR before the LF is not part of the line), and
   * frame a line longer than `maxLineBytes` (or anything not worth the trouble) through
   * {@link endFraming}. Meanwhile `start(i)`, `end(i)`, `at(i)` and `lineNumber(i)` work for the
   * lines filled in, and nothing else may be read.
   */
  beginFraming (): Framing | undefined {
    const lazy = this.#lazy
    if (lazy === undefined || this.#framing !== undefined) return undefined
    this.assertLive()
    return this.#begin(lazy)
  }

  #begin (lazy: LazyFraming): Framing {
    const { starts, ends, expected, firstLine } = lazy.begin(this.#units.length)
    this.#starts = starts
    this.#ends = ends
    this.#firstLine = firstLine
    this.#framing = { starts, ends, maxLineBytes: lazy.maxLineBytes, expected }
    return this.#framing
  }

  /** Longer offset arrays in the {@link Framing} of {@link beginFraming}, holding its first `count` lines. */
  growFraming (count: number): void {
    const f = this.#framing
    if (f === undefined) throw new Error('growFraming: the batch is not being framed')
    const [starts, ends] = this.#lazy!.grow(f.starts, f.ends, count)
    f.starts = this.#starts = starts
    f.ends = this.#ends = ends
  }

  /**
   * Ends what {@link beginFraming} began: `count` lines are filled in, and the bytes from `from`
   * on are framed the usual way (nothing when `from` is past the last byte); then the batch is an
   * ordinary framed one, and its lines are counted by the stage that made it.
   */
  endFraming (count: number, from: number): void {
    const f = this.#framing
    if (f === undefined) throw new Error('endFraming: the batch is not being framed')
    this.#end(f, count, from)
  }

  #end (f: Framing, count: number, from: number): void {
    const lazy = this.#lazy!
    this.#lazy = undefined
    this.#framing = undefined
    const r = lazy.finish(this.#units, from, f.starts, f.ends, count, this.#firstLine)
    this.#starts = r.starts
    this.#ends = r.ends
    this.#length = r.length
    this.#numbers = r.numbers
  }

  /** Cuts a lazily framed batch into lines now, if nobody has (its stage does, before the next batch and on release). */
  frame (): void {
    const lazy = this.#lazy
    if (lazy === undefined) return
    if (this.#framing !== undefined) throw new Error('frame: the batch is being framed by its consumer')
    this.#end(this.#begin(lazy), 0, 0)
  }

  // Every read of the lines frames the batch first (unless its consumer is framing it).
  #ready (): void {
    if (this.#lazy !== undefined && this.#framing === undefined) this.frame()
  }

  /** Number of lines. */
  get length (): number { this.#ready(); return this.#length }

  /**
   * The start offsets of the lines, for hot loops that would rather not call {@link start} per
   * line: entries 0..length-1 are the lines' (the array may be longer). Read it, never write it.
   */
  get starts (): Int32Array { this.assertLive(); this.#ready(); return this.#starts }
  /** The end offsets of the lines, as {@link starts} is to {@link start}. Read it, never write it. */
  get ends (): Int32Array { this.assertLive(); this.#ready(); return this.#ends }
  /** The bytes the lines are cut from (line endings and dropped lines included). */
  get units (): Units { this.assertLive(); return this.#units }
  /** The offset arrays, unchecked: for the stage that pooled them, when the batch is released. */
  get offsetArrays (): [Int32Array, Int32Array] { return [this.#starts, this.#ends] }

  /** Offset of line i's first unit. */
  start (i: number): number { this.assertLive(); this.#ready(); return this.#starts[i]! }
  /** Offset just past line i's last unit (its line ending excluded). */
  end (i: number): number { this.assertLive(); this.#ready(); return this.#ends[i]! }
  /** Line i as a string. */
  at (i: number): string { this.assertLive(); this.#ready(); return decodeUnits(this.#units, this.#starts[i]!, this.#ends[i]!) }
  /** The input line number (1-based) of line i, counting dropped lines too. */
  lineNumber (i: number): number { this.#ready(); return this.#numbers === undefined ? this.#firstLine + i : this.#numbers[i]! }

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
