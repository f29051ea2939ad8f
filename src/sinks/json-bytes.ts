import { lendChunk, Pool } from '../batch/owned.js'
import { PAIRS, writeShortest } from './shortest.js'

const CTRL = 32
// Below this, an integer is a small integer in V8 (passed to a call without a box).
const SMI = 1073741824
// number(v) goes through numberAt(SCRATCH, 0): one implementation.
const SCRATCH = new Float64Array(1)

/**
 * Builds JSON text as UTF-8 bytes in a growable buffer: numbers are written digit by digit (no
 * number-to-string conversion, see writeShortest()), ASCII keys byte by byte, and
 * anything else through `JSON.stringify`. Holds one buffer, grown by doubling; `take()` hands it
 * over and starts a new one, so the caller may keep what it took.
 *
 * With `lend`, each buffer taken is lent (see `lendChunk`): once its consumer hands it back
 * (`returnChunk`, as `writeTo` does after writing it), it is filled again, so a steady output
 * goes through two or three buffers instead of a fresh one per batch.
 */
export class JsonBytes {
  #buf: Buffer
  // #buf's bytes, for copies four bytes at a time.
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

  /** Appends bytes (a key or string already encoded). */
  bytes (u: Uint8Array): void {
    this.#ensure(u.length)
    this.#buf.set(u, this.#p)
    this.#p += u.length
  }

  /** Appends a few bytes (a key, a short string) with a loop: cheaper than a native copy below about 32 bytes. */
  raw (u: Uint8Array): void {
    const n = u.length
    if (n > 32) { this.bytes(u); return }
    this.#ensure(n)
    const b = this.#buf
    let p = this.#p
    for (let k = 0; k < n; k++) b[p++] = u[k]!
    this.#p = p
  }

  /**
   * Appends bytes [from, to) of `src`, four at a time (short text: a key): cheaper than a copy
   * byte by byte, and than a native copy of so few bytes.
   */
  copy (src: DataView, from: number, to: number): void {
    const n = to - from
    this.#ensure(n)
    const v = this.#view
    const p = this.#p
    if (n < 4) {
      for (let k = 0; k < n; k++) v.setUint8(p + k, src.getUint8(from + k))
    } else {
      // Whole words, then the last four bytes (overlapping the words before when n % 4 !== 0).
      for (let k = 0; k < n - 4; k += 4) v.setInt32(p + k, src.getInt32(from + k, true), true)
      v.setInt32(p + n - 4, src.getInt32(to - 4, true), true)
    }
    this.#p = p + n
  }

  /** Appends again bytes [from, to) of those written since the last take (a value repeated). */
  again (from: number, to: number): void {
    this.copy(this.#view, from, to)
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
   * Appends `col[i]` as {@link number} does. For a loop over a column: a double passed to a call
   * that is not inlined is boxed (one heap number per value written), a column and an index are
   * not; and the common cases (integers, two places) go on with small integers only.
   */
  numberAt (col: Float64Array, i: number): void {
    const v = col[i]!
    const a = v < 0 ? -v : v
    if (a < SMI) {
      const int = a | 0
      if (int === a) { this.#int(v < 0, int); return }
      const k = Math.round(a * 100)
      // (`| 0`: an int32 for the compiler, passed as a small integer, not a boxed double.)
      if (k < SMI && k / 100 === a) { this.#hundredths(v < 0, k | 0); return }
    } else if (a < 9007199254740992 && Math.floor(a) === a) {
      const hi = Math.floor(a / 1e8) // below 2^53 / 10^8: a small integer
      this.#int2(v < 0, hi | 0, (a - hi * 1e8) | 0)
      return
    }
    this.#other(v)
  }

  // -i (neg) or i, for 0 <= i < 2^30. (-0 arrives as i = 0 without neg: JSON writes 0.)
  #int (neg: boolean, i: number): void {
    this.#ensure(11)
    if (neg) this.#buf[this.#p++] = 45
    this.#u32(i, 0)
  }

  // hi·10^8 + lo (lo < 10^8), negated when neg.
  #int2 (neg: boolean, hi: number, lo: number): void {
    this.#ensure(17)
    if (neg) this.#buf[this.#p++] = 45
    this.#u32(hi, 0)
    this.#u32(lo, 8)
  }

  // k/100 with its trailing zeros dropped (k not a multiple of 100), negated when neg.
  #hundredths (neg: boolean, k: number): void {
    this.#ensure(13)
    if (neg) this.#buf[this.#p++] = 45
    const ip = (k / 100) | 0
    const frac = k - ip * 100
    this.#u32(ip, 0)
    this.#buf[this.#p++] = 46
    if (frac % 10 === 0) this.#u32(frac / 10, 1)
    else this.#u32(frac, 2)
  }

  // The rest: NaN and the infinities, integers from 2^53, decimals of three places or more, and
  // full-precision doubles (a mean): writeShortest(), or JSON.stringify where it declines.
  #other (v: number): void {
    if (v !== v || v === Infinity || v === -Infinity) { this.ascii('null'); return }
    this.#ensure(25)
    const p = this.#p + (v < 0 ? 1 : 0)
    const end = writeShortest(this.#buf, p, v < 0 ? -v : v)
    if (end >= 0) {
      if (v < 0) this.#buf[this.#p] = 45
      this.#p = end
      return
    }
    // JSON.stringify, not String: the same text, as fast, but String(v) also puts the string in
    // V8's number-to-string cache, which keeps it alive past the next young collections, so
    // every mean written was promoted to the old generation: 4 MB of old garbage per 2M input
    // lines, and a heap that grew with the input.
    this.ascii(JSON.stringify(v))
  }

  // Writes y < 2^32 right to left, two digits at a time, left-padded with zeros to `width`.
  #u32 (y: number, width: number): void {
    const n = y < 10 ? 1 : y < 100 ? 2 : y < 1e3 ? 3 : y < 1e4 ? 4 : y < 1e5 ? 5 : y < 1e6 ? 6 : y < 1e7 ? 7 : y < 1e8 ? 8 : y < 1e9 ? 9 : 10
    const b = this.#buf
    const start = this.#p
    let p = start + (n > width ? n : width)
    this.#p = p
    while (y >= 100) {
      const q = (y / 100) >>> 0
      const r = (y - q * 100) << 1
      b[--p] = PAIRS[r + 1]!
      b[--p] = PAIRS[r]!
      y = q
    }
    if (y >= 10) {
      b[--p] = PAIRS[(y << 1) + 1]!
      b[--p] = PAIRS[y << 1]!
    } else {
      b[--p] = 48 + y
    }
    while (p > start) b[--p] = 48
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
