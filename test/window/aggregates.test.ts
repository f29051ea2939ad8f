import { describe, expect, it } from 'vitest'
import { RecordBatch, type SensorRecord, session, tumbling } from '../../src/index.js'
import { collect, fromItems, rowsOf } from '../helpers.js'

async function one (recs: SensorRecord[] | RecordBatch, aggregates: string, size = '1h'): Promise<SensorRecord> {
  const out = rowsOf(await collect(tumbling({ size, time: 'ts', aggregates, value: 'v' })(fromItems([recs]))))
  expect(out).toHaveLength(1)
  return out[0]!
}

describe('aggregates', () => {
  it('variance and stddev are the sample ones (n - 1), null below two values', async () => {
    const vs = [2, 4, 4, 4, 5, 5, 7, 9]
    const r = await one(vs.map((v, ts) => ({ ts, v })), 'variance,stddev,mean')
    expect(r.variance).toBeCloseTo(32 / 7, 12)
    expect(r.stddev).toBeCloseTo(Math.sqrt(32 / 7), 12)
    expect(await one([{ ts: 0, v: 3 }], 'variance,stddev')).toEqual({ window: 0, end: 3_600_000, variance: null, stddev: null })
  })

  it('variance is numerically stable (Welford) on large values with a small spread', async () => {
    // Sum of squares minus square of sum loses every digit here; Welford keeps them.
    const vs = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]
    const r = await one(vs.map((v, ts) => ({ ts, v })), 'variance')
    expect(r.variance).toBeCloseTo(30, 6)
  })

  it('delta and rate use the values at the earliest and latest event time, rate per second', async () => {
    // Out of order on purpose: the counter reads 100 at 0 s and 160 at 30 s.
    const r = await one([{ ts: 10_000, v: 120 }, { ts: 30_000, v: 160 }, { ts: 0, v: 100 }, { ts: 20_000, v: 'err' }], 'delta,rate,first,last', '1m')
    expect(r).toMatchObject({ delta: 60, rate: 2, first: 100, last: 160 })
    expect(await one([{ ts: 5, v: 1 }], 'delta,rate', '1m')).toMatchObject({ delta: 0, rate: null })
  })

  it('first and last go by event time, the first and last to arrive on a tie', async () => {
    const r = await one([{ ts: 5, v: 'b' }, { ts: 1, v: 'a' }, { ts: 9, v: 'y' }, { ts: 1, v: 'a2' }, { ts: 9, v: 'z' }], 'first,last')
    expect(r).toMatchObject({ first: 'a', last: 'z' })
  })

  it('reads several value fields at once', async () => {
    const r = await one([{ ts: 1, temp: 20, hum: 40 }, { ts: 2, temp: 22, hum: 45 }], 'mean:temp,max:hum,stddev:temp,delta:hum')
    expect(r).toEqual({ window: 0, end: 3_600_000, mean_temp: 21, max_hum: 45, stddev_temp: Math.sqrt(2), delta_hum: 5 })
  })

  it('give the same results from unboxed columns and from rows', async () => {
    const ts = [3, 1, 2, 5, 4]
    const vs = [1.5, -2, 7, 0.25, 3]
    const batch = RecordBatch.fromColumns(['ts', 'v'], [new Float64Array(ts), new Float64Array(vs)], 5)
    const aggs = 'count,sum,mean,min,max,first,last,stddev,variance,rate,delta,p50'
    expect(await one(batch, aggs)).toEqual(await one(ts.map((t, i) => ({ ts: t, v: vs[i] })), aggs))
  })

  it('merge when a record bridges two sessions: counts, sums, extremes, moments, ends and percentiles', async () => {
    const recs = [{ ts: 0, v: 1 }, { ts: 100, v: 5 }, { ts: 50, v: 3 }, { ts: 1000, v: 0 }]
    const out = rowsOf(await collect(session({ gap: 60, time: 'ts', allowedLateness: 500, aggregates: 'count,sum,min,max,variance,delta,rate,p50,first,last', value: 'v' })(fromItems([recs]))))
    expect(out[0]).toEqual({ window: 0, end: 160, count: 3, sum: 9, min: 1, max: 5, variance: 4, delta: 4, rate: 40, p50: expect.closeTo(3, 1) as unknown, first: 1, last: 5 })
  })
})
