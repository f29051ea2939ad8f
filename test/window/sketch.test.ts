import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { QuantileSketch, type SensorRecord, tumbling } from '../../src/index.js'
import { collect, fromItems, rowsOf } from '../helpers.js'
import { prng } from './reference.js'

/** The exact nearest-rank quantile: the smallest value with at least q * n values at or below it. */
function exact (values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (q === 0) return sorted[0]!
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!
}

// The documented bound, with room for the last bit of floating-point rounding in log().
const within = (est: number, want: number, alpha: number): boolean => Math.abs(est - want) <= alpha * Math.abs(want) * (1 + 1e-9) + 1e-300

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1]

describe('QuantileSketch', () => {
  it('every quantile is within the relative accuracy of the exact nearest-rank quantile (property)', () => {
    // Magnitudes from 1e-6 to 1e9 (15 decades, inside the γ^maxBins span the bound needs), zeros,
    // negatives, and many ties.
    const magnitude = fc.tuple(fc.double({ min: -6, max: 9, noNaN: true }), fc.boolean()).map(([e, neg]) => (neg ? -1 : 1) * 10 ** e)
    const value = fc.oneof(magnitude, fc.integer({ min: -50, max: 50 }).map(v => v / 4), fc.constant(0))
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), fc.constantFrom(0.01, 0.02, 0.05), (values, alpha) => {
      const s = new QuantileSketch({ relativeAccuracy: alpha })
      for (const v of values) s.add(v)
      for (const q of QS) {
        const est = s.quantile(q)
        const want = exact(values, q)
        if (!within(est, want, alpha)) throw new Error(`q=${q}: ${est} vs exact ${want} (α=${alpha})`)
      }
    }), { numRuns: 500 })
  })

  it('a merge of two sketches answers like one sketch of both inputs (property)', () => {
    const value = fc.tuple(fc.double({ min: -3, max: 6, noNaN: true }), fc.boolean()).map(([e, neg]) => (neg ? -1 : 1) * 10 ** e)
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 200 }), fc.array(value, { maxLength: 200 }), (a, b) => {
      const sa = new QuantileSketch()
      const sb = new QuantileSketch()
      const both = new QuantileSketch()
      for (const v of a) { sa.add(v); both.add(v) }
      for (const v of b) { sb.add(v); both.add(v) }
      sa.merge(sb)
      for (const q of QS) {
        expect(sa.quantile(q)).toBe(both.quantile(q))
        expect(within(sa.quantile(q), exact([...a, ...b], q), 0.01)).toBe(true)
      }
    }), { numRuns: 200 })
  })

  it('holds its bound on a million readings in bounded memory', () => {
    const rnd = prng(7)
    const s = new QuantileSketch()
    const values = new Float64Array(1_000_000)
    for (let i = 0; i < values.length; i++) {
      // a temperature around 21 °C with noise and rare spikes
      values[i] = 21 + 3 * Math.sin(i / 5000) + (rnd() - 0.5) + (rnd() < 0.001 ? 80 : 0)
      s.add(values[i]!)
    }
    const arr = Array.from(values)
    for (const q of [0.5, 0.9, 0.99, 0.999]) expect(within(s.quantile(q), exact(arr, q), 0.01)).toBe(true)
    expect(s.count).toBe(1_000_000)
    expect(s.bins).toBeLessThanOrEqual(2 * 2048)
    expect(s.bins).toBeLessThan(512)
  })

  it('never holds more than maxBins counters per sign, folding the smallest magnitudes', () => {
    const s = new QuantileSketch({ maxBins: 64 })
    const values: number[] = []
    for (let e = -300; e <= 300; e++) values.push(10 ** e, -(10 ** e))
    // The top of the range (within γ^64 ≈ 3.6 of the largest) keeps the guarantee.
    for (let i = 0; i < 100; i++) values.push(1e300 * (0.5 + i / 200))
    for (const v of values) s.add(v)
    expect(s.bins).toBeLessThanOrEqual(128)
    for (const q of [0, 0.95, 0.99, 1]) expect(within(s.quantile(q), exact(values, q), 0.01), String(q)).toBe(true)
    // Subnormals and the smallest doubles do not break it.
    s.add(5e-324)
    s.add(-5e-324)
    expect(Number.isFinite(s.quantile(0.5))).toBe(true)
  })

  it('ignores NaN and infinities, gives NaN when empty, and rejects bad options', () => {
    const s = new QuantileSketch()
    expect(s.quantile(0.5)).toBeNaN()
    s.add(NaN)
    s.add(Infinity)
    expect(s.count).toBe(0)
    s.add(-3)
    expect(s.quantile(0.5)).toBe(-3)
    expect(() => new QuantileSketch({ relativeAccuracy: 0 })).toThrow(/"relativeAccuracy"/)
    expect(() => new QuantileSketch({ relativeAccuracy: 1 })).toThrow(/"relativeAccuracy"/)
    expect(() => new QuantileSketch({ maxBins: 4 })).toThrow(/"maxBins"/)
    expect(() => new QuantileSketch().merge(new QuantileSketch({ relativeAccuracy: 0.05 }))).toThrow(TypeError)
  })
})

describe('percentile aggregates', () => {
  it('pNN of a window are within 1 % of the exact percentiles, for any pNN', async () => {
    const rnd = prng(3)
    const recs: SensorRecord[] = []
    for (let i = 0; i < 5000; i++) recs.push({ ts: i, temp: Math.round((rnd() * 60 - 20) * 100) / 100 })
    const out = rowsOf(await collect(tumbling({ size: '10s', time: 'ts', aggregates: 'p50,p90,p99,p99.9,p0,p100,count', value: 'temp' })(fromItems([recs]))))
    expect(out).toHaveLength(1)
    const temps = recs.map(r => r.temp as number)
    for (const [name, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99], ['p99.9', 0.999], ['p0', 0], ['p100', 1]] as const) {
      expect(within(out[0]![name] as number, exact(temps, q), 0.01), name).toBe(true)
    }
    expect(out[0]!.p0).toBe(Math.min(...temps))
    expect(out[0]!.p100).toBe(Math.max(...temps))
  })

  it('takes several fields at once, with their own names', async () => {
    const recs = [{ ts: 1, t: 10, h: 40 }, { ts: 2, t: 20, h: 50 }, { ts: 3, t: 30, h: 60 }]
    const out = rowsOf(await collect(tumbling({ size: '1s', time: 'ts', aggregates: 'p50:t,p90:h,mean:t' })(fromItems([recs]))))
    expect(out[0]).toMatchObject({ mean_t: 20 })
    expect(within(out[0]!.p50_t as number, 20, 0.01)).toBe(true)
    expect(within(out[0]!['p90_h'] as number, 60, 0.01)).toBe(true)
  })

  it('rejects a malformed percentile name', () => {
    for (const bad of ['p', 'p101', 'p-1', 'p9x', 'p.5']) expect(() => tumbling({ size: '1s', time: 'ts', aggregates: bad, value: 'v' }), bad).toThrow(/"aggregates"/)
  })
})
