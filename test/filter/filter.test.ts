import { describe, expect, it } from 'vitest'
import { ExpressionError, filter, parseCsv, RecordBatch, type SensorRecord, where } from '../../src/index.js'
import { collect, CountingSource, fromItems, rowsOf, stageContract } from '../helpers.js'

const recs = (...values: number[]): SensorRecord[] => values.map((value, i) => ({ i, value }))

describe('filter()', () => {
  it('keeps the records for which the predicate is truthy, and counts the rest', async () => {
    const stage = filter(r => (r.value as number) > 2)
    const out = await collect(stage(fromItems([recs(1, 3, 2, 5), recs(0)])))
    expect(rowsOf(out)).toEqual([{ i: 1, value: 3 }, { i: 3, value: 5 }])
    expect(stage.stats).toEqual({ kept: 2, dropped: 3 })
  })

  it('uses truthiness of the predicate result', async () => {
    const stage = filter(r => r.value)
    expect(rowsOf(await collect(stage(fromItems([recs(0, 1, NaN, 2)])))).map(r => r.i)).toEqual([1, 3])
  })

  it('does not pass on a batch in which nothing is kept', async () => {
    const stage = filter(() => false)
    expect(await collect(stage(fromItems([recs(1, 2), recs(3)])))).toEqual([])
    expect(stage.stats).toEqual({ kept: 0, dropped: 3 })
  })

  it('sees plain records made from columnar batches', async () => {
    const seen: SensorRecord[] = []
    const stage = filter(r => { seen.push({ ...r }); return r.s === 'b' })
    const batches = await collect(parseCsv({ columns: 's:string,v:float' })(fromItems([['a,1', 'b,2']])))
    const out = await collect(stage(fromItems(batches)))
    expect(seen).toEqual([{ s: 'a', v: 1 }, { s: 'b', v: 2 }])
    expect(rowsOf(out)).toEqual([{ s: 'b', v: 2 }])
    expect(out[0]!.columnar).toBe(true)
  })

  it('keeps batches separate and in order', async () => {
    const out = await collect(filter(r => (r.value as number) % 2 === 1)(fromItems([recs(1, 2, 3), recs(4), recs(5, 7)])))
    expect(out.map(b => b.toRows().map(r => r.value))).toEqual([[1, 3], [5, 7]])
    expect(out.every(b => b instanceof RecordBatch)).toBe(true)
  })

  it('a predicate that throws rejects next() and the source is closed', async () => {
    const boom = new Error('predicate failed')
    const src = new CountingSource(i => recs(i))
    const stage = filter(r => { if (r.value === 2) throw boom; return true })
    await expect(collect(stage(src))).rejects.toBe(boom)
    expect(src.finallyRan).toBe(true)
    expect(src.pulls).toBe(3)
  })

  it('throws a TypeError naming the predicate at build time', () => {
    expect(() => filter('x' as unknown as () => boolean)).toThrow(TypeError)
    expect(() => filter('x' as unknown as () => boolean)).toThrow(/"predicate"/)
  })
})

describe('where()', () => {
  it('keeps the records the expression is true for, and counts', async () => {
    const stage = where('value >= -40 && value <= 125')
    const out = await collect(stage(fromItems([recs(-41, -40, 0, 125, 125.01)])))
    expect(rowsOf(out).map(r => r.value)).toEqual([-40, 0, 125])
    expect(stage.stats).toEqual({ kept: 3, dropped: 2 })
  })

  it('keeps records whose expression value is truthy, not only true', async () => {
    expect(rowsOf(await collect(where('value')(fromItems([recs(0, 2, NaN)])))).map(r => r.i)).toEqual([1])
    expect(rowsOf(await collect(where('name')(fromItems([[{ name: '' }, { name: 'x' }, {}]]))))).toEqual([{ name: 'x' }])
  })

  it('throws ExpressionError for a bad expression at build time, before pulling', () => {
    expect(() => where('value = 3')).toThrow(ExpressionError)
    expect(() => where('value >= ')).toThrow(/column 10/)
  })
})

describe('filter(): stage contract', () => {
  stageContract(() => filter(() => true), i => recs(i))
})

describe('where(): stage contract', () => {
  stageContract(() => where('value >= 0'), i => recs(i))
})
