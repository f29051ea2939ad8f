// mulberry32: a small, fast, seeded PRNG that gives the same numbers on every platform. Shared by
// the fixture scripts and the tests that generate input, so generated data is reproducible.

/** A function returning the next number in [0, 1) of the sequence for `seed`. */
export function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
