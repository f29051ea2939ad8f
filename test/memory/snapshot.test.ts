// Heap snapshots: the streaming counter, the diff, and the bound of the reference stages checked
// on a real snapshot taken in the middle of a million readings.
import { readFileSync, writeFileSync } from 'node:fs'
import { writeHeapSnapshot } from 'node:v8'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  countLiveObjects, countObjects, diffObjectCounts, formatSnapshotDiff, HeapSnapshots, lines, type ObjectCount, parseCsv,
  pipe, type RecordBatch, SnapshotScanner, tumbling, where
} from '../../src/index.js'
import { chunksOf, tempDir } from '../helpers.js'
import { referenceSource, SENSORS } from './helpers.js'

class SnapshotTestProbe { constructor (readonly n: number) {} }

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { dir = await tempDir() })
afterAll(async () => { await dir.remove() })

describe('countObjects', () => {
  it('counts the live objects of a class, and none once they are gone', async () => {
    let held: SnapshotTestProbe[] | undefined = Array.from({ length: 1234 }, (_, i) => new SnapshotTestProbe(i))
    const withThem = writeHeapSnapshot(dir.file('with.heapsnapshot'))
    expect(held.length).toBe(1234)
    held = undefined
    const without = writeHeapSnapshot(dir.file('without.heapsnapshot'))
    expect(await countLiveObjects(withThem, 'SnapshotTestProbe')).toBe(1234)
    expect(await countLiveObjects(without, 'SnapshotTestProbe')).toBe(0)
    const counts = await countObjects(withThem)
    expect(counts.get('SnapshotTestProbe')!.size).toBeGreaterThanOrEqual(1234 * 16)
    expect(counts.get('(string)')!.count).toBeGreaterThan(1000)
    expect(counts.get('Object')!.count).toBeGreaterThan(100)
  })

  it('gives the same counts however the file is cut into chunks (tokens split across them)', async () => {
    const file = dir.file('with.heapsnapshot')
    const whole = await countObjects(file)
    expect(sorted(await countObjects(file, { chunkBytes: 4093 }))).toEqual(sorted(whole))
    const scanner = new SnapshotScanner()
    for (const chunk of chunksOf(readFileSync(file), [1, 2, 7, 13, 4093, 65536])) scanner.push(chunk)
    expect(sorted(scanner.result())).toEqual(sorted(whole))
  })

  it('reads escaped and non-ASCII constructor names', () => {
    const text = JSON.stringify({
      snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'], node_types: [['hidden', 'object', 'string']] }, node_count: 3 },
      nodes: [1, 0, 1, 16, 0, 1, 1, 2, 24, 0, 2, 2, 3, 40, 0],
      edges: [],
      trace_tree: [[1, [2, [3]]], '"]"'],
      strings: ['a "quoted" \\ name ]', 'Größe', 'some string']
    })
    const scanner = new SnapshotScanner()
    for (const ch of Buffer.from(text)) scanner.push(Uint8Array.of(ch))
    expect(sorted(scanner.result())).toEqual([
      ['(string)', { count: 1, size: 40 }],
      ['Größe', { count: 1, size: 24 }],
      ['a "quoted" \\ name ]', { count: 1, size: 16 }]
    ])
  })

  it('rejects a file that is not a heap snapshot, or is cut short', async () => {
    writeFileSync(dir.file('not.heapsnapshot'), '{"hello": [1, 2, 3]}')
    await expect(countObjects(dir.file('not.heapsnapshot'))).rejects.toThrow(/not a V8 heap snapshot/)
    const whole = readFileSync(dir.file('with.heapsnapshot'))
    writeFileSync(dir.file('cut.heapsnapshot'), whole.subarray(0, whole.length >> 1))
    await expect(countObjects(dir.file('cut.heapsnapshot'))).rejects.toThrow(/truncated/)
    await expect(countObjects(dir.file('missing.heapsnapshot'))).rejects.toThrow(/ENOENT/)
  })
})

describe('diffObjectCounts', () => {
  const m = (o: Record<string, number>): Map<string, ObjectCount> => new Map(Object.entries(o).map(([k, v]) => [k, { count: v, size: v * 10 }]))

  it('lists what grew from the first snapshot to the last, most first, marking steady growth', () => {
    const grown = diffObjectCounts([m({ A: 1, B: 5, C: 3 }), m({ A: 10, B: 4, C: 3, D: 2 }), m({ A: 20, B: 6, C: 3, D: 1 })])
    expect(grown.map(g => [g.name, g.delta, g.monotonic])).toEqual([['A', 19, true], ['B', 1, false], ['D', 1, false]])
    expect(grown[0]!.counts).toEqual([1, 10, 20])
    expect(grown[0]!.sizeDelta).toBe(190)
    expect(diffObjectCounts([m({ A: 1 })])).toEqual([])
    const text = formatSnapshotDiff(grown, ['s1', 's2', 's3'])
    expect(text).toMatch(/^heap snapshots: 3 written \(s1, s2, s3\)\n/)
    expect(text).toMatch(/\n {2}A\s+\+19 {2}1 → 10 → 20 \*/)
  })
})

describe('HeapSnapshots', () => {
  it('writes a first and a last snapshot and reports what grew in between', async () => {
    const snaps = new HeapSnapshots({ dir: dir.file('run'), every: 0 })
    snaps.start()
    const grow = Array.from({ length: 500 }, (_, i) => new SnapshotTestProbe(i))
    snaps.end()
    expect(snaps.files).toHaveLength(2)
    expect(snaps.files[0]).toMatch(/heap-\d+-1-start\.heapsnapshot$/)
    expect(snaps.files[1]).toMatch(/heap-\d+-2-end\.heapsnapshot$/)
    const grown = await snaps.diff()
    expect(grown.find(g => g.name === 'SnapshotTestProbe')?.delta).toBe(500)
    expect(grow).toHaveLength(500)
  })

  it('spaces periodic snapshots by four times what the last one took, so the run goes on', async () => {
    const snaps = new HeapSnapshots({ dir: dir.file('periodic'), every: 1, keep: 2 })
    snaps.start()
    let turns = 0
    const t0 = performance.now()
    while (performance.now() - t0 < 2000) { await new Promise(resolve => setImmediate(resolve)); turns++ }
    snaps.stop()
    // with every: 1 and a timer that fired whenever due, nothing but snapshots would run
    expect(turns).toBeGreaterThan(200)
    expect(snaps.files.length).toBeGreaterThanOrEqual(1)
    expect(snaps.files.length).toBeLessThanOrEqual(3) // the first + at most `keep` periodic
    expect(snaps.files.filter(f => f.endsWith('-periodic.heapsnapshot')).length).toBeLessThanOrEqual(2)
  }, 30_000)

  it('checks its options', () => {
    expect(() => new HeapSnapshots({ dir: '' })).toThrow(TypeError)
    expect(() => new HeapSnapshots({ dir: 'x', every: -1 })).toThrow(/"every"/)
    expect(() => new HeapSnapshots({ dir: 'x', keep: 1.5 })).toThrow(/"keep"/)
  })
})

// The test: a million readings through parse, filter and a tumbling window. A snapshot
// taken in the middle of the stream, at 100,000 and at 1,000,000 readings, holds as many batch
// and window objects at both points: only what is in flight and one state per sensor.
describe('a million readings through parse, filter and a tumbling window', () => {
  it('counts no more live record objects than the window and batch bounds allow', async () => {
    const at = [100_000, 1_000_000]
    const files: string[] = []
    let seen = 0
    async function * snapshotStage (batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
      for await (const batch of batches) {
        const before = seen
        seen += batch.length
        for (const n of at) if (before < n && seen >= n) files.push(writeHeapSnapshot(dir.file(`stream-${n}.heapsnapshot`)))
        yield batch
      }
    }
    let windows = 0
    for await (const out of pipe(referenceSource(1_050_000), lines(), parseCsv({ columns: 'ts:time,sensor:string,value:float' }), snapshotStage,
      where('value >= -40 && value <= 125'), tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean,min,max', value: 'value' }))) windows += out.length
    expect(windows).toBe(1050 * SENSORS)
    expect(files).toHaveLength(2)
    const [early, late] = [await countObjects(files[0]!), await countObjects(files[1]!)]
    const count = (m: Map<string, ObjectCount>, name: string): number => m.get(name)?.count ?? 0

    for (const m of [early, late]) {
      // batches in flight: one per stage at most, and their columns
      expect(count(m, 'LineBatch')).toBeLessThanOrEqual(4)
      expect(count(m, 'RecordBatch')).toBeLessThanOrEqual(8)
      expect(count(m, 'DictColumn')).toBeLessThanOrEqual(8)
      expect(count(m, 'Float64Array')).toBeLessThanOrEqual(64)
      // window state, for 64 sensors: per sensor a state (with one accumulator) in the open
      // window, and the last closed window's, kept for reuse by the next (SlotStates)
      expect(count(m, 'KeyState') + count(m, 'FieldAccumulator')).toBeLessThanOrEqual(4 * SENSORS + 4)
      expect(count(m, 'SlotStates')).toBeLessThanOrEqual(4)
    }
    // Nothing grows with the input: no constructor has more than a handful more objects after
    // 900,000 more readings, nor are there more strings (one per reading would be 900,000).
    const grown = diffObjectCounts([early, late]).filter(g => !g.name.startsWith('(') || g.name === '(string)')
    for (const g of grown) expect(g.delta, `${g.name}: ${g.counts.join(' → ')}`).toBeLessThanOrEqual(64)
  }, 120_000)
})

function sorted (m: Map<string, ObjectCount>): Array<[string, ObjectCount]> {
  return [...m].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
}
