// JsonBytes.number writes what JSON.stringify writes, for every double: integers and short
// decimals from integers, the rest through String(v).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JsonBytes } from '../../src/sinks/json-bytes.js'

function written (values: readonly number[]): string {
  const out = new JsonBytes(16)
  for (const v of values) { out.number(v); out.byte(10) }
  return out.take().toString('utf8')
}
const stringified = (values: readonly number[]): string => values.map(v => JSON.stringify(v) + '\n').join('')

describe('JsonBytes.number', () => {
  it('equals JSON.stringify for any double', () => {
    fc.assert(fc.property(fc.array(fc.double(), { maxLength: 50 }), vs => { expect(written(vs)).toBe(stringified(vs)) }), { numRuns: 2000 })
  })

  it('equals JSON.stringify for integers up to 2^53 and decimals of up to 8 places (the fast paths and their edges)', () => {
    const decimal = fc.tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 1e8 }))
      .map(([ip, places, frac]) => Number(`${ip}.${String(frac).padStart(8, '0').slice(0, places) || '0'}`))
    const values = fc.oneof(fc.maxSafeInteger(), fc.integer(), decimal, fc.constantFrom(0, -0, 1e-6, 1e-7, 999999999.999999, 1e9, 4294967295, 4294967296, 2 ** 53 - 1, 2 ** 53, 1e21, 0.1 + 0.2, 100000000.5, 1073741823, 1073741824, -1073741824, 1073741823.99, 10737418.23, 10737418.24, -0.01, 0.05, 999999999999999, 1e15))
    fc.assert(fc.property(fc.array(values, { maxLength: 50 }), vs => { expect(written(vs)).toBe(stringified(vs)) }), { numRuns: 2000 })
  })

  it('writes NaN and the infinities as null, and means of window sums as JSON.stringify does', () => {
    expect(written([NaN, Infinity, -Infinity])).toBe('null\nnull\nnull\n')
    const means = Array.from({ length: 1000 }, (_, i) => (2351 + i * 7) / 100 * (i % 3) / (1 + (i % 13)))
    expect(written(means)).toBe(stringified(means))
  })
})
