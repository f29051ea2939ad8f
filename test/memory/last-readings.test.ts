// lastReadings: a view of each sensor's last reading that never keeps a reading alive.
import { describe, expect, it } from 'vitest'
import { collector, lastReadings, parseCsv, RecordBatch, type SensorRecord } from '../../src/index.js'
import { collect, fromItems, lineBatch, stageContract } from '../helpers.js'
import { turns } from './helpers.js'


describe('lastReadings (stage contract)', () => {
  stageContract(() => lastReadings({ key: 'sensor' }), i => [{ sensor: `s${i % 3}`, value: i }])
})

async function parsed (text: string[]): Promise<RecordBatch[]> {
  return await collect(parseCsv({ columns: 'ts:time,sensor:string,value:float' })(fromItems([lineBatch(text)])))
}

describe('lastReadings', () => {
  it('shows the last reading of each sensor while its batch is alive (columnar input)', async () => {
    const view = lastReadings({ key: 'sensor', now: () => 5000 })
    const batches = await parsed(['1000,a,1', '1001,b,2', '1002,a,3', '1003,c,4'])
    const out = await collect(view(fromItems(batches)))
    expect(out[0]).toBe(batches[0]) // passed on unchanged
    expect(view.view()).toEqual([
      { key: 'a', reading: { ts: 1002, sensor: 'a', value: 3 }, seenAt: 5000 },
      { key: 'b', reading: { ts: 1001, sensor: 'b', value: 2 }, seenAt: 5000 },
      { key: 'c', reading: { ts: 1003, sensor: 'c', value: 4 }, seenAt: 5000 }
    ])
    expect(view.format()).toMatch(/^last readings at .*: 3 sensors, 3 still in memory \(a weak view: it keeps none alive\)\n {2}a {2}\{"ts":1002,"sensor":"a","value":3\} {2}seen 0\.0 s ago\n/)
  })

  it('works on plain record arrays and on composite keys', async () => {
    const view = lastReadings({ key: 'site,sensor' })
    const rows: SensorRecord[] = [{ site: 'x', sensor: 1, v: 1 }, { site: 'y', sensor: 1, v: 2 }, { site: 'x', sensor: 1, v: 3 }, { site: 'x', v: 4 }]
    await collect(view(fromItems([rows])))
    expect(view.view().map(r => [r.key, r.reading])).toEqual([['x,1', rows[2]], ['y,1', rows[1]]])
  })

  it('never keeps a reading alive: once the batches are gone, the sensors show as collected', async () => {
    const view = lastReadings({ key: 'sensor' })
    await (async () => { await collect(view(fromItems(await parsed(['1000,a,1', '1001,b,2'])))) })()
    await turns(3) // WeakRef targets touched in a job stay alive until it has ended
    const gc = collector()!
    gc()
    gc()
    const v = view.view()
    expect(v.map(r => r.key)).toEqual(['a', 'b'])
    expect(v.every(r => r.reading === undefined)).toBe(true)
    expect(view.format()).toMatch(/2 sensors, 0 still in memory/)
    expect(view.format()).toMatch(/ {2}a {2}\(collected\) {2}seen/)
    await turns(2) // let the store's finalizers run before it is dropped (docs/memory.md)
  })

  it('remembers at most maxKeys sensors, forgetting the one not seen for longest', async () => {
    const view = lastReadings({ key: 'sensor', maxKeys: 2 })
    const batches = await parsed(['1000,a,1', '1001,b,2', '1002,a,3', '1003,c,4'])
    await collect(view(fromItems(batches)))
    expect(view.view().map(r => r.key)).toEqual(['a', 'c'])
    expect(view.store.get('b')).toBeUndefined()
  })

  it('checks its options when built', () => {
    expect(() => lastReadings({ key: '' })).toThrow(/"key"/)
    expect(() => lastReadings({ key: 'sensor', maxKeys: 0 })).toThrow(/maxKeys/)
    expect(() => lastReadings(undefined as never)).toThrow(TypeError)
  })

  it('passes an empty batch on and notes nothing', async () => {
    const view = lastReadings({ key: 'sensor' })
    const empty = RecordBatch.fromRows([])
    expect(await collect(view(fromItems([empty])))).toEqual([empty])
    expect(view.view()).toEqual([])
  })
})
