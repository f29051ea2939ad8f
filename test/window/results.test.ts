// The result batches of a window stage: number columns go out unboxed when they hold no null,
// and the arrays kept for the next batch never leak one batch's values into another.
import { describe, expect, it } from 'vitest'
import { RecordBatch, type SensorRecord, tumbling } from '../../src/index.js'
import { collect, fromItems } from '../helpers.js'

const rows = (batches: RecordBatch[]): SensorRecord[] => batches.flatMap(b => b.toRows())

describe('window results', () => {
  it('are Float64Array columns for numbers without nulls, plain arrays where a value is null', async () => {
    const input = [
      [{ ts: 0, k: 'a', v: 1 }, { ts: 10, k: 'b', v: 2 }, { ts: 1000, k: 'a', v: 3 }],
      [{ ts: 1500, k: 'a', v: 'x' }, { ts: 2100, k: 'a', v: 5 }]
    ]
    const out = await collect(tumbling({ size: '1s', time: 'ts', key: 'k', aggregates: 'count,mean,max', value: 'v' })(fromItems(input)))
    expect(out[0]!.numbers('mean')).toBeInstanceOf(Float64Array)
    expect(out[0]!.numbers('window')).toBeInstanceOf(Float64Array)
    // The window of 1000 holds a number (3) and a non-number ('x'): it counts both, its mean is 3.
    expect(rows(out)).toEqual([
      { window: 0, end: 1000, k: 'a', count: 1, mean: 1, max: 1 },
      { window: 0, end: 1000, k: 'b', count: 1, mean: 2, max: 2 },
      { window: 1000, end: 2000, k: 'a', count: 2, mean: 3, max: 3 },
      { window: 2000, end: 3000, k: 'a', count: 1, mean: 5, max: 5 }
    ])
  })

  it('keep null where a window has no numeric value, and the next batch unboxed again', async () => {
    const input = [
      [{ ts: 0, k: 'a', v: 'x' }, { ts: 1000, k: 'a', v: 1 }],
      [{ ts: 2000, k: 'a', v: 2 }, { ts: 2500, k: 'a', v: 4 }, { ts: 3000, k: 'a', v: 6 }],
      [{ ts: 4000, k: 'a', v: 8 }]
    ]
    // Each batch as it was when handed on, to check that later batches do not change it.
    const out: RecordBatch[] = []
    const seen: SensorRecord[][] = []
    for await (const b of tumbling({ size: '1s', time: 'ts', key: 'k', aggregates: 'mean', value: 'v' })(fromItems(input))) {
      out.push(b)
      seen.push(b.toRows().map(r => ({ ...r })))
    }
    expect(rows(out)).toEqual([
      { window: 0, end: 1000, k: 'a', mean: null },
      { window: 1000, end: 2000, k: 'a', mean: 1 },
      { window: 2000, end: 3000, k: 'a', mean: 3 },
      { window: 3000, end: 4000, k: 'a', mean: 6 },
      { window: 4000, end: 5000, k: 'a', mean: 8 }
    ])
    expect(out[0]!.numbers('mean')).toBeUndefined()
    expect(out.at(-1)!.numbers('mean')).toBeInstanceOf(Float64Array)
    expect(out.map(b => b.toRows())).toEqual(seen)
  })

  it('grow past their first length, and a null after numbers turns that column into values from its row on', async () => {
    // 100 readings of 40 keys in window 0: 40 results in one batch, more than a first batch's
    // columns hold; key k20's values are not numbers, so its mean, the 21st, is null.
    const input = [
      Array.from({ length: 100 }, (_, i) => ({ ts: i, k: `k${i % 40}`, v: i % 40 === 20 ? 'x' : i })),
      [{ ts: 1000, k: 'k0', v: 1 }]
    ]
    const expected = Array.from({ length: 40 }, (_, key) => {
      const vs = [key, key + 40, key + 80].filter(v => v < 100)
      return { window: 0, end: 1000, k: `k${key}`, count: vs.length, mean: key === 20 ? null : vs.reduce((a, b) => a + b, 0) / vs.length, max: key === 20 ? null : Math.max(...vs) }
    })
    for (const reuse of [false, true]) {
      const out = await collect(tumbling({ size: '1s', time: 'ts', key: 'k', aggregates: 'count,mean,max', value: 'v', reuse })(fromItems(input)))
      expect(rows(out)).toEqual([...expected, { window: 1000, end: 2000, k: 'k0', count: 1, mean: 1, max: 1 }])
      expect(out[0]!.numbers('count')).toBeInstanceOf(Float64Array)
      expect(out[0]!.numbers('mean')).toBeUndefined()
      expect(out[0]!.numbers('window')).toEqual(new Float64Array(40))
    }
  })
})
