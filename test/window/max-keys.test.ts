// The key bound: least-recently-updated eviction, and a flood of distinct ids in bounded memory.
import { describe, expect, it } from 'vitest'
import { parseCsv, type SensorRecord, session, sliding, tumbling, type WindowStage } from '../../src/index.js'
import { collect, fromItems, rowsOf } from '../helpers.js'

const MiB = 1 << 20
const gc = globalThis.gc
const underCi = process.env.CI === 'true'

describe('maxKeys evicts the least recently updated window', () => {
  it('time windows: an update moves a key to the back of the queue', async () => {
    const stage = tumbling({ size: '1s', time: 'ts', key: 'k', maxKeys: 2, markPartial: true })
    const out = rowsOf(await collect(stage(fromItems([['a', 'b', 'a', 'c', 'b'].map((k, i) => ({ ts: i, k }))]))))
    // c evicts b (a was updated after it); then b evicts a.
    expect(out).toEqual([
      { window: 0, end: 1000, k: 'b', count: 1, partial: true },
      { window: 0, end: 1000, k: 'a', count: 2, partial: true },
      { window: 0, end: 1000, k: 'c', count: 1, partial: true },
      { window: 0, end: 1000, k: 'b', count: 1, partial: true }
    ])
    expect(stage.stats).toMatchObject({ earlyFlushes: 2, partial: 4, accepted: 5 })
  })

  it('time windows: the same with dictionary-encoded keys (parsed CSV), the bound reached inside a batch', async () => {
    const parsed = parseCsv({ columns: 'ts:time,k:string' })(fromItems([['0,a', '1,b', '2,a', '3,c', '4,b', '5,b', '1000,c']]))
    const stage = tumbling({ size: '1s', time: 'ts', key: 'k', maxKeys: 2, markPartial: true })
    expect(rowsOf(await collect(stage(parsed)))).toEqual([
      { window: 0, end: 1000, k: 'b', count: 1, partial: true },
      { window: 0, end: 1000, k: 'a', count: 2, partial: true },
      { window: 0, end: 1000, k: 'c', count: 1, partial: false },
      { window: 0, end: 1000, k: 'b', count: 2, partial: false },
      { window: 1000, end: 2000, k: 'c', count: 1, partial: true }
    ])
    expect(stage.stats).toMatchObject({ earlyFlushes: 2, partial: 3, accepted: 7 })
  })

  it('time windows: the bound holds for keys the batch has seen in earlier windows', async () => {
    // In window 2000 all three keys were seen earlier in this batch, so each one's state is
    // cached: c, the third, must still be refused a place (a, the least recently updated, goes early).
    const parsed = parseCsv({ columns: 'ts:time,k:string' })(fromItems([['0,a', '1,b', '1000,c', '1001,a', '2000,a', '2001,b', '2002,c', '3000,a']]))
    const stage = tumbling({ size: '1s', time: 'ts', key: 'k', maxKeys: 2, markPartial: true })
    expect(rowsOf(await collect(stage(parsed)))).toEqual([
      { window: 0, end: 1000, k: 'a', count: 1, partial: false },
      { window: 0, end: 1000, k: 'b', count: 1, partial: false },
      { window: 1000, end: 2000, k: 'c', count: 1, partial: false },
      { window: 1000, end: 2000, k: 'a', count: 1, partial: false },
      { window: 2000, end: 3000, k: 'a', count: 1, partial: true },
      { window: 2000, end: 3000, k: 'b', count: 1, partial: false },
      { window: 2000, end: 3000, k: 'c', count: 1, partial: false },
      { window: 3000, end: 4000, k: 'a', count: 1, partial: true }
    ])
    expect(stage.stats).toMatchObject({ earlyFlushes: 1, accepted: 8 })
  })

  it('count windows: the same order across batches', async () => {
    const stage = tumbling({ count: 10, key: 'k', maxKeys: 2 })
    const out = rowsOf(await collect(stage(fromItems([[{ k: 'a' }, { k: 'b' }], [{ k: 'a' }], [{ k: 'c' }]]))))
    expect(out[0]).toEqual({ window: 0, k: 'b', count: 1 })
    expect(stage.stats.earlyFlushes).toBe(1)
  })

  it('count windows: a key evicted inside a batch of dictionary-encoded keys starts afresh', async () => {
    const parsed = parseCsv({ columns: 'k:string' })(fromItems([['a', 'b', 'a']]))
    const stage = tumbling({ count: 10, key: 'k', maxKeys: 1, markPartial: true })
    expect(rowsOf(await collect(stage(parsed)))).toEqual([
      { window: 0, k: 'a', count: 1, partial: true },
      { window: 0, k: 'b', count: 1, partial: true },
      { window: 0, k: 'a', count: 1, partial: true }
    ])
    expect(stage.stats).toMatchObject({ earlyFlushes: 2, accepted: 3 })
  })

  it('sliding windows count each (window, key) state against the bound', async () => {
    const stage = sliding({ size: '2s', slide: '1s', time: 'ts', key: 'k', maxKeys: 3 })
    const out = rowsOf(await collect(stage(fromItems([[{ ts: 1500, k: 'a' }, { ts: 1600, k: 'b' }]]))))
    // four states for three places: the oldest, a's [0, 2000), went early
    expect(stage.stats.earlyFlushes).toBe(1)
    expect(out.reduce((n, r) => n + (r.count as number), 0)).toBe(4)
  })

  it('a window marked partial is one that had not closed', async () => {
    const out = rowsOf(await collect(tumbling({ size: '1s', time: 'ts', markPartial: true })(fromItems([[{ ts: 1 }, { ts: 1001 }]]))))
    expect(out).toEqual([{ window: 0, end: 1000, count: 1, partial: false }, { window: 1000, end: 2000, count: 1, partial: true }])
  })
})

describe('a flood of a million distinct keys', () => {
  if (gc === undefined) {
    if (underCi) it('has global.gc', () => { throw new Error('global.gc is unavailable under CI=true') })
    else it.skip('skipped: global.gc is unavailable (vitest.config.ts passes --expose-gc)', () => {})
    return
  }

  /** Feeds `n` records with distinct keys, 10 000 a batch, one per ms; samples the heap after a GC. */
  async function flood (stage: WindowStage, n: number): Promise<{ samples: Array<[number, number]>, results: number, counted: number }> {
    const samples: Array<[number, number]> = []
    async function * source (): AsyncGenerator<SensorRecord[]> {
      for (let i = 0; i < n; i += 10_000) {
        if (i % 100_000 === 0) { gc!(); samples.push([i, process.memoryUsage().heapUsed]) }
        const batch: SensorRecord[] = new Array(10_000)
        for (let j = 0; j < 10_000; j++) batch[j] = { ts: i + j, id: `dev-${i + j}`, v: j % 100 }
        yield batch
      }
    }
    let results = 0
    let counted = 0
    for await (const batch of stage(source())) {
      results += batch.length
      const counts = batch.values('count')!
      for (let i = 0; i < counts.length; i++) counted += counts[i] as number
    }
    gc!()
    samples.push([n, process.memoryUsage().heapUsed])
    return { samples, results, counted }
  }

  /** How much the heap grew from the sample at 100,000 records to the largest after it, and the samples as text. */
  function growth (samples: Array<[number, number]>): [number, string] {
    const atBound = samples.find(([i]) => i >= 100_000)![1]
    const peak = Math.max(...samples.filter(([i]) => i >= 100_000).map(([, h]) => h))
    return [peak - atBound, samples.map(([i, h]) => `${i}: ${(h / MiB).toFixed(1)} MiB`).join(', ')]
  }

  // From the moment the bound is reached (50 000 keys) to the end, the heap does not grow. With
  // 1 s windows (one open at a time, no lateness), 1,000 new keys in each: each key's state is
  // kept for when it comes again, at most 4,096 besides the open window's.
  it.each([
    { size: '1h', earlyFlushes: 950_000, what: 'the heap stays flat once maxKeys windows are open' },
    { size: '1s', earlyFlushes: 0, what: 'windows of fewer keys than maxKeys: a key whose window closed is forgotten in time' }
  ])('tumbling $size: $what; every record is in exactly one result', async ({ size, earlyFlushes }) => {
    const stage = tumbling({ size, time: 'ts', key: 'id', aggregates: 'count,mean', value: 'v', maxKeys: 50_000 })
    const { samples, results, counted } = await flood(stage, 1_000_000)
    expect(results).toBe(1_000_000)
    expect(counted).toBe(1_000_000)
    expect(stage.stats).toMatchObject({ accepted: 1_000_000, earlyFlushes })
    const [grew, trace] = growth(samples)
    expect(grew, trace).toBeLessThan(16 * MiB)
  }, 120_000)

  it('session: a key whose sessions all closed is forgotten in time (a million keys, each one short session)', async () => {
    // A closed key keeps its empty list for a while (so that a steady set of keys changes no
    // Map); past 1,024 such lists, when they are half the keys, they are swept.
    const stage = session({ gap: '1ms', time: 'ts', key: 'id', maxKeys: 20_000 })
    const { samples, counted } = await flood(stage, 1_000_000)
    expect(counted).toBe(1_000_000)
    expect(stage.stats.earlyFlushes).toBe(0)
    const [grew, trace] = growth(samples)
    expect(grew, trace).toBeLessThan(16 * MiB)
  }, 120_000)

  it('session: the same bound holds', async () => {
    const stage = session({ gap: '1h', time: 'ts', key: 'id', maxKeys: 20_000 })
    const { samples, counted } = await flood(stage, 1_000_000)
    expect(counted).toBe(1_000_000)
    expect(stage.stats.earlyFlushes).toBe(980_000)
    const [grew, trace] = growth(samples)
    expect(grew, trace).toBeLessThan(16 * MiB)
  }, 120_000)
})
