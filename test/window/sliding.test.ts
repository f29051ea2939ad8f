import { describe, expect, it } from 'vitest'
import { parseCsv, type SensorRecord, sliding, type SlidingOptions } from '../../src/index.js'
import { collect, CountingSource, fromItems, rowsOf, stageContract } from '../helpers.js'

async function windows (batches: SensorRecord[][], options: SlidingOptions): Promise<{ out: SensorRecord[], stage: ReturnType<typeof sliding> }> {
  const stage = sliding(options)
  return { out: rowsOf(await collect(stage(fromItems(batches)))), stage }
}

describe('sliding()', () => {
  it('puts each record in every window [s, s + size) that holds it, s a multiple of slide', async () => {
    const { out, stage } = await windows([[{ ts: 2500, v: 1 }, { ts: 4100, v: 2 }]], { size: '3s', slide: '1s', time: 'ts', aggregates: 'count,sum', value: 'v' })
    expect(out).toEqual([
      { window: 0, end: 3000, count: 1, sum: 1 },
      { window: 1000, end: 4000, count: 1, sum: 1 },
      { window: 2000, end: 5000, count: 2, sum: 3 },
      { window: 3000, end: 6000, count: 1, sum: 2 },
      { window: 4000, end: 7000, count: 1, sum: 2 }
    ])
    expect(stage.stats).toMatchObject({ accepted: 2, emitted: 5, late: 0 })
  })

  it('closes each window when the watermark reaches its end, with the batch that moved it', async () => {
    const stage = sliding({ size: 2000, slide: 1000, time: 'ts', key: 'k' })
    const it = stage(fromItems([[{ ts: 500, k: 'a' }, { ts: 1500, k: 'b' }], [{ ts: 2000, k: 'a' }], [{ ts: 3100, k: 'a' }]]))[Symbol.asyncIterator]()
    // 1500 closes [-1000, 1000); 2000 closes [0, 2000); 3100 closes [1000, 3000).
    expect(rowsOf([(await it.next()).value])).toEqual([{ window: -1000, end: 1000, k: 'a', count: 1 }])
    expect(rowsOf([(await it.next()).value])).toEqual([
      { window: 0, end: 2000, k: 'a', count: 1 },
      { window: 0, end: 2000, k: 'b', count: 1 }
    ])
    expect(rowsOf([(await it.next()).value])).toEqual([
      { window: 1000, end: 3000, k: 'b', count: 1 },
      { window: 1000, end: 3000, k: 'a', count: 1 }
    ])
    const rest = rowsOf(await collect({ [Symbol.asyncIterator]: () => it }))
    expect(rest).toEqual([{ window: 2000, end: 4000, k: 'a', count: 2 }, { window: 3000, end: 5000, k: 'a', count: 1 }])
  })

  it('a record some of whose windows have closed goes into the open ones and is not late', async () => {
    const { out, stage } = await windows([[{ ts: 2500 }, { ts: 1500 }]], { size: 2000, slide: 1000, time: 'ts' })
    // [0, 2000) was never opened but is already closed (watermark 2500): 1500 goes into [1000, 3000) only.
    expect(out).toEqual([{ window: 1000, end: 3000, count: 2 }, { window: 2000, end: 4000, count: 1 }])
    expect(stage.stats).toMatchObject({ accepted: 2, late: 0 })
  })

  it('with a slide equal to the size, gives the tumbling windows', async () => {
    const csv = ['1000,a,1.5', '1200,b,2', '1900,a,-3', '2100,b,4']
    const batches = await collect(parseCsv({ columns: 'ts:time,s:string,v:float' })(fromItems([csv])))
    const out = rowsOf(await collect(sliding({ size: '1s', slide: '1s', time: 'ts', key: 's', aggregates: 'count,mean', value: 'v' })(fromItems(batches))))
    expect(out).toEqual([
      { window: 1000, end: 2000, s: 'a', count: 2, mean: -0.75 },
      { window: 1000, end: 2000, s: 'b', count: 1, mean: 2 },
      { window: 2000, end: 3000, s: 'b', count: 1, mean: 4 }
    ])
  })

  it('throws TypeErrors naming the option at build time', () => {
    expect(() => sliding({ size: '10s', slide: '20s', time: 'ts' })).toThrow(/"slide"/)
    expect(() => sliding({ size: '10s', slide: '0s', time: 'ts' })).toThrow(/"slide"/)
    expect(() => sliding({ size: '10s' } as SlidingOptions)).toThrow(/"slide"/)
    expect(() => sliding({ slide: '1s' } as SlidingOptions)).toThrow(/"size"/)
    expect(() => sliding({ size: '10s', slide: '1s' })).toThrow(/"time"/)
    expect(() => sliding({ size: '1d', slide: '1ms', time: 'ts' })).toThrow(/at most 10000/)
    expect(() => sliding(null as unknown as SlidingOptions)).toThrow(TypeError)
  })

  describe('laziness and cleanup', () => {
    stageContract(() => sliding({ size: '2s', slide: '1s', time: 'ts' }), i => [{ ts: i * 1000 }], 2)
  })

  it('does not read ahead: the windows a batch closes come before the next pull', async () => {
    const src = new CountingSource(i => [{ ts: i * 1000 }], 5)
    const it = sliding({ size: '2s', slide: '1s', time: 'ts' })(src)[Symbol.asyncIterator]()
    await it.next()
    expect(src.pulls).toBe(2)
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })
})
