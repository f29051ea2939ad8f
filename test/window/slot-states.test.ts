// A closed time window hands its keys and states to a later window (SlotStates), so a steady set
// of keys changes no Map from one window to the next. Those reused states must never show through.
import { describe, expect, it } from 'vitest'
import { parseCsv, RecordBatch, type SensorRecord, sliding, tumbling, type WindowStage } from '../../src/index.js'
import { KeyState, type Slot, SlotStates } from '../../src/window/common.js'
import { collect, fromItems, rowsOf } from '../helpers.js'

const MiB = 1 << 20
const gc = globalThis.gc
const underCi = process.env.CI === 'true'

function slot (start: number, states = new SlotStates()): Slot {
  const s: Slot = { start, end: start + 1000, states }
  states.reopen(s)
  return s
}
const state = (k: string): KeyState => new KeyState([k], k, [])
const keysOf = (s: SlotStates): unknown[] => [...s.values()].map(st => st.mapKey)

describe('SlotStates', () => {
  it('shows only the states of its current window; a reopened one keeps the old keys as stale', () => {
    const w1 = slot(0)
    const a = state('a')
    w1.states.add(a)
    w1.states.add(state('b'))
    expect(w1.states.get('a')).toBe(a)
    expect(w1.states.size).toBe(2)
    const w2 = slot(1000, w1.states)
    expect(w2.states.get('a')).toBeUndefined()
    expect(w2.states.size).toBe(0)
    expect(keysOf(w2.states)).toEqual([])
    // Stale: still in the map, so reviving it changes no Map.
    expect(w2.states.map.get('a')).toBe(a)
    w2.states.add(state('c'))
    w2.states.add(a.reuse(['a'], 'a'))
    expect(w2.states.get('a')).toBe(a)
    expect(keysOf(w2.states)).toEqual(['c', 'a'])
    expect(w2.states.map.size).toBe(3)
  })

  it('remove() drops the key from the map, and compaction keeps the order of arrival', () => {
    const w = slot(0)
    const all = Array.from({ length: 200 }, (_, i) => state(`k${i}`))
    for (const st of all) w.states.add(st)
    for (let i = 0; i < 200; i++) if (i % 3 !== 0) w.states.remove(all[i]!)
    const left = all.filter((_, i) => i % 3 === 0).map(st => st.mapKey)
    expect(keysOf(w.states)).toEqual(left)
    expect(w.states.size).toBe(left.length)
    expect(w.states.map.size).toBe(left.length)
    expect(w.states.end).toBeLessThan(200)
    expect(w.states.get('k1')).toBeUndefined()
    // Positions stay right after compaction: remove the rest one by one.
    for (const st of all.filter((_, i) => i % 3 === 0)) w.states.remove(st)
    expect(keysOf(w.states)).toEqual([])
    expect(w.states.map.size).toBe(0)
  })
})

describe('time windows reuse earlier windows\' states', () => {
  // Columnar batches with a dictionary key take ingest's per-batch state cache; rows do not.
  async function run (lines: string[], make: () => WindowStage, columnar: boolean): Promise<SensorRecord[]> {
    const batches = await collect(parseCsv({ columns: 'ts:time,k:string,v:float' })(fromItems([lines])))
    const input: Array<RecordBatch | SensorRecord[]> = columnar ? batches : batches.map(b => b.toRows().map(r => ({ ...r })))
    return rowsOf(await collect(make()(fromItems(input))))
  }

  for (const columnar of [true, false]) {
    it(`emits each window's keys in order of arrival, fresh, and only those it saw (${columnar ? 'columnar' : 'rows'})`, async () => {
      const lines = ['0,a,1', '10,b,2', '20,a,3', '1000,c,4', '2000,b,5', '2010,a,6', '3000,a,7', '4000,b,8', '4001,c,9', '4002,a,10']
      const out = await run(lines, () => tumbling({ size: '1s', time: 'ts', key: 'k', aggregates: 'count,sum,min,max,first,last,stddev', value: 'v' }), columnar)
      expect(out.map(r => [r.window, r.k, r.count, r.sum, r.min, r.max, r.first, r.last])).toEqual([
        [0, 'a', 2, 4, 1, 3, 1, 3], [0, 'b', 1, 2, 2, 2, 2, 2],
        [1000, 'c', 1, 4, 4, 4, 4, 4],
        [2000, 'b', 1, 5, 5, 5, 5, 5], [2000, 'a', 1, 6, 6, 6, 6, 6],
        [3000, 'a', 1, 7, 7, 7, 7, 7],
        [4000, 'b', 1, 8, 8, 8, 8, 8], [4000, 'c', 1, 9, 9, 9, 9, 9], [4000, 'a', 1, 10, 10, 10, 10, 10]
      ])
      // stddev keeps moments, so its states are made anew rather than reset: still fresh (the
      // sample standard deviation of one value is null).
      expect(out.map(r => r.stddev)).toEqual([Math.SQRT2, null, null, null, null, null, null, null, null])
    })
  }

  for (const columnar of [true, false]) {
    it(`a key that comes back to a later window gets one state there, also with aggregates whose states are made anew (${columnar ? 'columnar' : 'rows'}, one record per batch)`, async () => {
      // One record per batch: no per-batch cache of states can stand in for the window's map.
      const lines = ['0,a,1', '5,b,1', '1000,a,2', '1010,a,4', '1020,b,3', '2000,a,8', '2001,a,16', '2002,a,32', '2003,b,5', '2004,b,7']
      const batches = await collect(parseCsv({ columns: 'ts:time,k:string,v:float' })(fromItems(lines.map(l => [l]))))
      expect(batches.length).toBe(lines.length)
      for (const aggregates of ['count,sum', 'count,sum,stddev']) {
        const input: Array<RecordBatch | SensorRecord[]> = columnar ? batches : batches.map(b => b.toRows().map(r => ({ ...r })))
        const out = rowsOf(await collect(tumbling({ size: '1s', time: 'ts', key: 'k', aggregates, value: 'v' })(fromItems(input))))
        expect(out.map(r => [r.window, r.k, r.count, r.sum]), aggregates).toEqual([
          [0, 'a', 1, 1], [0, 'b', 1, 1],
          [1000, 'a', 2, 6], [1000, 'b', 1, 3],
          [2000, 'a', 3, 56], [2000, 'b', 2, 12]
        ])
      }
    })
  }

  it('sliding windows: each window has its own states, in order of arrival', async () => {
    const lines = ['0,a,1', '600,b,2', '1100,b,3', '1700,a,4', '2300,c,5']
    const out = await run(lines, () => sliding({ size: '1s', slide: '500ms', time: 'ts', key: 'k', aggregates: 'count,sum', value: 'v' }), true)
    expect(out.map(r => [r.window, r.k, r.count, r.sum])).toEqual([
      [-500, 'a', 1, 1],
      [0, 'a', 1, 1], [0, 'b', 1, 2],
      [500, 'b', 2, 5],
      [1000, 'b', 1, 3], [1000, 'a', 1, 4],
      [1500, 'a', 1, 4], [1500, 'c', 1, 5],
      [2000, 'c', 1, 5]
    ])
  })
})

describe('the stale states kept for reuse are bounded', () => {
  if (gc === undefined) {
    if (underCi) it('has global.gc', () => { throw new Error('global.gc is unavailable under CI=true') })
    else it.skip('skipped: global.gc is unavailable (vitest.config.ts passes --expose-gc)', () => {})
    return
  }

  it('windows of 25 000 keys each, never the same key twice: the heap does not grow from window to window', async () => {
    // Were every closed window's states kept for reuse (up to four spare windows), 100 000 stale
    // states would pile up: tens of MiB. At most 4096 are kept.
    const perWindow = 25_000
    const windows = 40
    const samples: number[] = []
    async function * source (): AsyncGenerator<SensorRecord[]> {
      for (let i = 0; i < perWindow * windows; i += 5_000) {
        if (i % perWindow === 0) { gc!(); samples.push(process.memoryUsage().heapUsed) }
        const batch: SensorRecord[] = new Array(5_000)
        const w = Math.floor(i / perWindow)
        for (let j = 0; j < 5_000; j++) batch[j] = { ts: w * 1000 + (j % 1000), id: `dev-${i + j}`, v: j % 100 }
        yield batch
      }
    }
    const stage = tumbling({ size: '1s', time: 'ts', key: 'id', aggregates: 'count,mean,min,max', value: 'v', maxKeys: 100_000 })
    let counted = 0
    for await (const batch of stage(source())) {
      const counts = batch.values('count')!
      for (let i = 0; i < counts.length; i++) counted += counts[i] as number
    }
    expect(counted).toBe(perWindow * windows)
    const base = samples[2]!
    const peak = Math.max(...samples.slice(2))
    expect(peak - base, samples.map(h => (h / MiB).toFixed(1)).join(', ')).toBeLessThan(8 * MiB)
  }, 120_000)
})
