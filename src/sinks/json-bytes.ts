import { lendChunk, Pool } from '../batch/owned.js'
import { PAIRS, writeShortest } from './shortest.js'

const CTRL = 32
// Below this, an integer is a small integer in V8 (passed to a call without a box).
const SMI = 1073741824
// number(v) goes through numberAt(SCRATCH, 0): one implementation.
const SCRATCH = new Float64Array(1)

/**
 * Builds JSON text as UTF-8 bytes in a growable buffer: numbers are written digit by digit (no
 * number-to-string conversion, see {@link writeNumberAt}), plain ASCII strings byte by byte, and
 * anything else through `JSON.stringify`. A hot loop may also write straight into the buffer
 * ({@link room}, {@link advanceTo}). Holds one buffer, grown by doubling; `take()` hands it over
 * and starts a new one, so the caller may keep what it took.
 *
 * With `lend`, each buffer taken is lent (see `lendChunk`): once its consumer hands it back
 * (`returnChunk`, as `writeTo` does after writing it), it is filled again, so a steady output
 * goes through two or three buffers instead of a fresh one per batch.
 */
export class JsonBytes {
  #buf: Buffer
  // #buf's bytes, for a caller's copies four bytes at a time (see view).
  #view: DataView
  #p = 0
  // With `lend`: at most 2 buffers handed back, the longest kept (a pool full of buffers a
  // little too short would turn every batch into a miss).
  readonly #spare: Pool<Buffer> | undefined

  constructor (capacity = 64 * 1024, lend = false) {
    this.#spare = lend ? new Pool<Buffer>(2, b => b.length) : undefined
    this.#buf = this.#alloc(capacity)
    this.#view = viewOf(this.#buf)
  }

  // A lent buffer must own its memory (returnChunk finds it by its ArrayBuffer), and is made a
  // power of two long, so that one handed back fits the next batches though their sizes vary
  // (sized to each batch, most were a little short, and the misses left malloc's heap
  // fragmented: 15 MiB of it on sliding windows).
  #alloc (n: number): Buffer {
    return this.#spare !== undefined ? Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(n))) : Buffer.allocUnsafe(n)
  }

  /** Bytes written since the last take. */
  get length (): number { return this.#p }

  #ensure (n: number): void {
    if (this.#p + n <= this.#buf.length) return
    const next = this.#alloc(Math.max(this.#buf.length * 2, this.#p + n))
    this.#buf.copy(next, 0, 0, this.#p)
    this.#buf = next
    this.#view = viewOf(next)
  }

  /** Appends a string known to be ASCII (keys, punctuation, number text). */
  ascii (s: string): void {
    const n = s.length
    this.#ensure(n)
    const b = this.#buf
    let p = this.#p
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i)
    this.#p = p
  }

  /** Appends one byte. */
  byte (c: number): void {
    this.#ensure(1)
    this.#buf[this.#p++] = c
  }

  /** Appends a string as a JSON string literal. */
  string (s: string): void {
    const n = s.length
    let plain = true
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c < CTRL || c > 126 || c === 34 || c === 92) { plain = false; break }
    }
    if (plain) {
      this.#ensure(n + 2)
      const b = this.#buf
      let p = this.#p
      b[p++] = 34
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i)
      b[p++] = 34
      this.#p = p
      return
    }
    this.utf8(JSON.stringify(s))
  }

  /** Appends any string as UTF-8. */
  utf8 (s: string): void {
    this.#ensure(3 * s.length)
    this.#p += this.#buf.write(s, this.#p, 'utf8')
  }

  /**
   * Appends a number as `JSON.stringify` writes it: shortest round-trip digits, NaN and ±Infinity
   * as null, -0 as 0. Integers below 2^53 and decimals of two places are written from integers,
   * the rest by writeShortest() (about 65 ns a number, against 105 for V8's conversion and the
   * copy of its string), and the few doubles that declines via `JSON.stringify(v)`.
   */
  number (v: number): void {
    SCRATCH[0] = v
    this.numberAt(SCRATCH, 0)
  }

  /**
   * Appends `col[i]` as {@link number} does (see {@link writeNumberAt}). For a loop over a
   * column: a double passed to a call that is not inlined is boxed, a column and an index are not.
   */
  numberAt (col: Float64Array, i: number): void {
    this.#ensure(NUMBER_ROOM)
    this.#p = writeNumberAt(this.#buf, this.#p, col, i)
  }

  /**
   * Makes room for `n` more bytes and returns the buffer, to be written from {@link length} on by
   * a caller that then says where it stopped ({@link advanceTo}): for a loop that keeps its write
   * position in a local instead of going through a call per value.
   */
  room (n: number): Buffer {
    this.#ensure(n)
    return this.#buf
  }

  /** The bytes of the buffer {@link room} returned. */
  get view (): DataView { return this.#view }

  /** After writing into what {@link room} returned: the bytes written end at `p`. */
  advanceTo (p: number): void {
    this.#p = p
  }

  /** Appends any JSON value. */
  value (v: unknown): void {
    if (typeof v === 'number') this.number(v)
    else if (typeof v === 'string') this.string(v)
    else if (v === undefined || v === null) this.ascii('null')
    else if (v === true) this.ascii('true')
    else if (v === false) this.ascii('false')
    else this.utf8(JSON.stringify(v) ?? 'null')
  }

  /** The bytes written so far; the writer starts afresh. */
  take (): Buffer {
    const buf = this.#buf
    const out = buf.subarray(0, this.#p)
    const want = Math.max(1024, Math.min(1 << 20, this.#p + (this.#p >> 2)))
    const spare = this.#spare
    if (spare !== undefined) {
      lendChunk(buf, () => { spare.give(buf) })
      this.#buf = spare.take(b => b.length >= want) ?? this.#alloc(want)
    } else {
      this.#buf = Buffer.allocUnsafe(want)
    }
    this.#view = viewOf(this.#buf)
    this.#p = 0
    return out
  }
}

/** A DataView of a buffer's bytes. */
export function viewOf (b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

/** Room that {@link writeNumberAt} needs: `-1.2345678901234567e+308` is 24 bytes. */
export const NUMBER_ROOM = 25

/**
 * Writes `col[i]` at `b[p..]` as `JSON.stringify` writes it (shortest round-trip digits, NaN and
 * ±Infinity as null, -0 as 0) and returns the index after it; needs {@link NUMBER_ROOM} bytes of
 * room. Integers below 2^53 and decimals of two places are written from integers, the rest by
 * writeShortest() (about 65 ns a number, against 105 for V8's conversion and the copy of its
 * string), and the few doubles that declines via `JSON.stringify(v)`. The common cases
 * (integers, two places) go on with small integers only.
 */
export function writeNumberAt (b: Buffer, p: number, col: Float64Array, i: number): number {
  const v = col[i]!
  const neg = v < 0
  const a = neg ? -v : v
  if (a < SMI) {
    const int = a | 0
    if (int === a) {
      if (neg) b[p++] = 45 // (-0 is not below 0: written 0)
      return writeU32(b, p, int, 0)
    }
    const k = Math.round(a * 100)
    // (`| 0`: an int32 for the compiler, passed as a small integer, not a boxed double.)
    if (k < SMI && k / 100 === a) {
      if (neg) b[p++] = 45
      const h = k | 0
      const ip = (h / 100) | 0
      const frac = h - ip * 100
      p = writeU32(b, p, ip, 0)
      b[p++] = 46
      return frac % 10 === 0 ? writeU32(b, p, frac / 10, 1) : writeU32(b, p, frac, 2)
    }
  } else if (a < 9007199254740992 && Math.floor(a) === a) {
    if (neg) b[p++] = 45
    const hi = Math.floor(a / 1e8) // below 2^53 / 10^8: a small integer
    p = writeU32(b, p, hi | 0, 0)
    return writeU32(b, p, (a - hi * 1e8) | 0, 8)
  }
  return writeOther(b, p, v)
}

// The rest: NaN and the infinities, integers from 2^53, decimals of three places or more, and
// full-precision doubles (a mean): writeShortest(), or JSON.stringify where it declines.
function writeOther (b: Buffer, p: number, v: number): number {
  if (v !== v || v === Infinity || v === -Infinity) return writeAscii(b, p, 'null')
  const end = writeShortest(b, p + (v < 0 ? 1 : 0), v < 0 ? -v : v)
  if (end >= 0) {
    if (v < 0) b[p] = 45
    return end
  }
  // JSON.stringify, not String: the same text, as fast, but String(v) also puts the string in
  // V8's number-to-string cache, which keeps it alive past the next young collections, so
  // every mean written was promoted to the old generation: 4 MB of old garbage per 2M input
  // lines, and a heap that grew with the input.
  return writeAscii(b, p, JSON.stringify(v))
}

function writeAscii (b: Buffer, p: number, s: string): number {
  for (let k = 0; k < s.length; k++) b[p++] = s.charCodeAt(k)
  return p
}

// Writes y < 2^32 at b[p..], two digits at a time from the right, left-padded with zeros to
// `width`; returns the index after it.
function writeU32 (b: Buffer, p: number, y: number, width: number): number {
  const n = y < 10 ? 1 : y < 100 ? 2 : y < 1e3 ? 3 : y < 1e4 ? 4 : y < 1e5 ? 5 : y < 1e6 ? 6 : y < 1e7 ? 7 : y < 1e8 ? 8 : y < 1e9 ? 9 : 10
  const end = p + (n > width ? n : width)
  let q = end
  while (y >= 100) {
    const d = (y / 100) >>> 0
    const r = (y - d * 100) << 1
    b[--q] = PAIRS[r + 1]!
    b[--q] = PAIRS[r]!
    y = d
  }
  if (y >= 10) {
    b[--q] = PAIRS[(y << 1) + 1]!
    b[--q] = PAIRS[y << 1]!
  } else {
    b[--q] = 48 + y
  }
  while (q > p) b[--q] = 48
  return end
}
