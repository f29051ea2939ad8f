// The shortest decimal that reads back as a double, written as ASCII digits straight into a
// buffer: the text `JSON.stringify(a)` (ECMAScript's Number::toString) gives, without making a
// string. It is what a window's mean costs to print: V8's conversion and the copy of its string
// took about 105 ns per number, this takes about 65 (bench/number-text.mjs).
//
// Why our own, and not a library: shortest-double printers (V8's own conversion included) hand
// back a string, and making the string and copying it out are about half of what this saves. A
// full algorithm (Ryu, Grisu) must also handle every double; this handles the doubles a sensor
// pipeline prints (1e-6 <= a < 1e15, not a power of two) and answers -1 for the rest, and for the
// rare cases it cannot decide with certainty (a distance within EPS of a boundary), so the caller
// writes those through JSON.stringify.
//
// How: X = a·10^k lies in [10^16, 10^17) for one k in 2..22, and 10^k is an exact double, so
// X is exactly hi + lo (Dekker's product). The closest decimals of 15, 16 and 17 significant
// digits are the multiples of 100, 10 and 1 closest to X; a decimal reads back as `a` when it is
// closer to X than half an ulp of `a` (times 10^k; exact, a power of two times 10^k). The first
// of the three that does is the shortest: a decimal of at most 15 digits is the closest
// 15-digit one with its zeros dropped (two decimals of at most 15 digits never round to the same
// double), and the closest one of a length is the one ECMAScript picks of that length. The
// interval around `a` is symmetric unless `a` is a power of two (then the one below is half as
// wide): those are left to V8. A tie for the closest (two candidates equally close) is left to
// V8 too, which picks the even one.

const P10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`))
// 2^27 + 1: splits a double into two halves of 26 bits whose products are exact (Dekker).
const SPLIT = 134217729
const LOG10_2 = 0.30102999566398114
// How close to a boundary (in units of the last of 17 digits) counts as undecided: far above the
// rounding error of the arithmetic here (below 1e-13), far below any real distance.
const EPS = 1e-7
const BITS = new Float64Array(1)
const WORDS = new Uint32Array(BITS.buffer)
// "00" to "99" as ASCII byte pairs.
export const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)))

/**
 * Writes the shortest round-trip text of `a` (0 < a, not NaN) at `b[p..]` and returns the index
 * after it, or -1 when `a` is outside what this handles (see above) and nothing was written.
 * Needs 24 bytes of room.
 */
export function writeShortest (b: Uint8Array, p: number, a: number): number {
  if (!(a >= 1e-6 && a < 1e15)) return -1
  BITS[0] = a
  const high = WORDS[1]!
  if ((high & 0xfffff) === 0 && WORDS[0] === 0) return -1 // a power of two
  const exponent = high >>> 20
  // 10^(16-k) <= a < 10^(17-k); the estimate from the binary exponent is low by at most one.
  let k = 16 - Math.floor((exponent - 1023) * LOG10_2)
  if (k > 22) return -1
  let t = P10[k]!
  let hi = a * t
  if (hi >= 1e17) { k--; t = P10[k]!; hi = a * t }
  if (!(hi > 1e16 && hi < 1e17)) return -1
  // lo = a·t - hi, exactly (Dekker's product): X = hi + lo.
  let c = SPLIT * a
  const ah = c - (c - a)
  const al = a - ah
  c = SPLIT * t
  const th = c - (c - t)
  const tl = t - th
  const lo = ((ah * th - hi) + ah * tl + al * th) + al * tl
  // hi, an even integer, as A·10^8 + B (A·10^8 is exact: A < 2^30 times 2^8·5^8).
  let A = Math.floor(hi / 1e8)
  let B = hi - A * 1e8
  if (B < 0) { A--; B += 1e8 } else if (B >= 1e8) { A++; B -= 1e8 }
  // Half an ulp of a, times 10^k: 2^(exponent - 1076) · 10^k.
  WORDS[1] = (exponent - 53) << 20
  WORDS[0] = 0
  const H = BITS[0]! * t
  const Bi = B | 0
  let top = A | 0
  let bottom: number
  let d: number
  // |lo| <= 8 (half an ulp of hi), so B - r100 + lo is within 108 of B - r100. (H < 16: a tie of
  // two multiples of 100, 50 away, never reads back; one of two multiples of 10 may.)
  const r100 = Bi % 100
  const f100 = r100 + lo
  const up100 = f100 > 50
  const e100 = up100 ? 100 - f100 : f100 < 0 ? -f100 : f100
  if (e100 < H - EPS) {
    d = 2
    bottom = ((Bi - r100) / 100 | 0) + (up100 ? 1 : 0)
  } else {
    if (e100 <= H + EPS) return -1
    const r10 = Bi % 10
    const f10 = r10 + lo // -8 < f10 < 18: the closest multiple of 10 is -10, 0, 10 or 20 away
    const m10 = f10 < -5 ? -1 : f10 <= 5 ? 0 : f10 <= 15 ? 1 : 2
    const g10 = f10 - 10 * m10
    const e10 = g10 < 0 ? -g10 : g10
    if (e10 > 5 - EPS) return -1
    if (e10 < H - EPS) {
      d = 1
      bottom = ((Bi - r10) / 10 | 0) + m10
    } else {
      if (e10 <= H + EPS) return -1
      const r = Math.round(lo)
      const e1 = lo - r
      if (e1 > 0.5 - EPS || e1 < EPS - 0.5) return -1
      d = 0
      bottom = Bi + r
    }
  }
  // The digits: top (9 of them) then bottom (8 - d), carried; as 17 digits, bottom·10^d.
  const W = d === 2 ? 1e6 : d === 1 ? 1e7 : 1e8
  if (bottom < 0) { top--; bottom += W } else if (bottom >= W) { top++; bottom -= W }
  if (top >= 1e9 || top < 1e8) return -1
  const b8 = bottom * (d === 2 ? 100 : d === 1 ? 10 : 1)
  const n = 17 - k // digits before the point (-5 to 15)
  let q = p
  if (n <= 0) {
    b[q++] = 48
    b[q++] = 46
    for (let z = n; z < 0; z++) b[q++] = 48
  } else q++ // room to move the integer digits left into, for the point
  const s = q
  const tq = Math.floor(top / 1e4)
  const t1 = Math.floor(tq / 1e4)
  const bq = Math.floor(b8 / 1e4)
  b[q] = 48 + t1
  group(b, q + 1, tq - t1 * 1e4)
  group(b, q + 5, top - tq * 1e4)
  group(b, q + 9, bq)
  group(b, q + 13, b8 - bq * 1e4)
  let e = q + 17
  while (b[e - 1] === 48) e--
  if (n <= 0) return e
  const digits = e - s
  for (let j = 0; j < n && j < digits; j++) b[p + j] = b[s + j]
  if (digits <= n) { // an integer: its zeros back
    e = p + digits
    while (e < p + n) b[e++] = 48
    return e
  }
  b[p + n] = 46
  return e
}

// g < 10^4 as four digits at b[p..p+3] (g·5243 >> 19 is g / 100 for g < 43699).
function group (b: Uint8Array, p: number, g: number): void {
  const hi = (g * 5243) >>> 19
  const lo = (g - hi * 100) << 1
  b[p] = PAIRS[hi << 1]!
  b[p + 1] = PAIRS[(hi << 1) + 1]!
  b[p + 2] = PAIRS[lo]!
  b[p + 3] = PAIRS[lo + 1]!
}
