// writeShortest() writes what JSON.stringify writes, or declines (-1) and writes nothing.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { writeShortest } from '../../src/sinks/shortest.js'

const BITS = new Float64Array(1)
const WORDS = new BigUint64Array(BITS.buffer)
// The double `steps` ulps away from v (v > 0).
function neighbour (v: number, steps: number): number {
  BITS[0] = v
  WORDS[0] = WORDS[0]! + BigInt(steps)
  return BITS[0]!
}

// The text written for v, or undefined when writeShortest() declined; a decline writes nothing.
function shortest (v: number): string | undefined {
  const b = new Uint8Array(40).fill(0x7e)
  const end = writeShortest(b, 3, v)
  if (end < 0) {
    expect(b.every(x => x === 0x7e)).toBe(true)
    return undefined
  }
  expect(b[2]).toBe(0x7e)
  return Buffer.from(b.subarray(3, end)).toString('latin1')
}

function agrees (v: number): boolean {
  const text = shortest(v)
  if (text !== undefined) expect(text).toBe(JSON.stringify(v))
  return text !== undefined
}

const means = Array.from({ length: 20000 }, (_, i) => {
  let sum = 0
  const n = 1 + (i % 37)
  for (let j = 0; j < n; j++) sum += Math.round(((i * 7919 + j * 104729) % 16500) - 4000) / 100
  return Math.abs(sum / n)
}).filter(v => v >= 1e-6)

describe('writeShortest', () => {
  it('writes what JSON.stringify writes for any double it takes', () => {
    fc.assert(fc.property(fc.double({ min: 1e-7, max: 2e15, noNaN: true }), v => { agrees(v) }), { numRuns: 20000 })
  })

  it('takes the means of readings, and writes them as JSON.stringify does', () => {
    const declined = means.filter(v => !agrees(v)).length
    expect(declined).toBeLessThan(means.length / 1000)
  })

  it('agrees on the doubles next to short decimals, powers of ten and the ends of its range', () => {
    const decimal = fc.tuple(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 14 }))
      .map(([m, places]) => m / 10 ** places)
      .filter(v => v >= 1e-6 && v < 1e15)
    const near = fc.oneof(decimal, fc.integer({ min: -6, max: 15 }).map(e => 10 ** e), fc.constantFrom(1e-6, 999999999999999.9, 1e15 - 0.125))
    fc.assert(fc.property(near, fc.integer({ min: -4, max: 4 }), (v, steps) => { agrees(neighbour(v, steps)) }), { numRuns: 20000 })
  })

  it('agrees where the closest decimal is more than half a unit from hi (lo beyond ±5) and on ties of two closest decimals', () => {
    // |lo| > 5: the closest 16-digit decimal is the multiple of 10 below or above the next one.
    for (const v of [7902.639999999999, 7553.839999999999, 72.26857142857143, 0.08083699999999999, 9.216340000000002, 74.80189189189191]) {
      expect(shortest(v)).toBe(JSON.stringify(v))
    }
    // Two 16-digit decimals equally close (a = ...0.75 with an ulp of 1/8): declined, V8 picks the even.
    for (const v of [597581107831890.8, 869958567787000.2, 83292697100699.62]) expect(shortest(v)).toBeUndefined()
  })

  it('declines powers of two, doubles outside [1e-6, 1e15) and whatever is not a positive number', () => {
    for (const v of [0.5, 2, 4096, 2 ** -10, 9.99e-7, 1e15, 1e21, 0, -1.5, NaN, Infinity]) expect(shortest(v)).toBeUndefined()
  })
})
