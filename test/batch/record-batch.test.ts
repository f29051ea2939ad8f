// RecordBatch.select: the rows it keeps, whether it copies them row by row or run by run.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DictColumn, RecordBatch } from '../../src/batch/record-batch.js'

function batchOf (n: number): RecordBatch {
  const ts = Float64Array.from({ length: n }, (_, i) => 1000 + i)
  const ids = Int32Array.from({ length: n }, (_, i) => i % 3)
  const tags = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `t${i}` : null))
  return RecordBatch.fromColumns(['ts', 'sensor', 'tag'], [ts, new DictColumn(ids, ['a', 'b', 'c']), tags], n)
}

describe('RecordBatch.select', () => {
  it('keeps exactly the selected rows, in order, for any selection (few long runs or many short ones)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 400 }), fc.array(fc.integer({ min: 0, max: 399 }), { maxLength: 20 }), fc.boolean(), (n, picks, sparse) => {
      const batch = batchOf(n)
      // Sparse: the picked rows only (many runs). Dense: every row but the picked ones (few runs).
      const drop = new Set(picks.filter(p => p < n))
      const keep = sparse ? [...drop].sort((a, b) => a - b) : Array.from({ length: n }, (_, i) => i).filter(i => !drop.has(i))
      const sel = Uint32Array.from(keep)
      const out = batch.select(sel, sel.length)
      expect(out.length).toBe(keep.length)
      expect(out.toRows()).toEqual(keep.map(i => batch.row(i)))
    }), { numRuns: 300 })
  })

  it('copies: the selection does not share storage with the batch, unless every row is kept', () => {
    const batch = batchOf(100)
    const sel = Uint32Array.from({ length: 99 }, (_, i) => i + 1)
    const out = batch.select(sel, 99)
    expect(out.numbers('ts')![0]).toBe(1001)
    batch.numbers('ts')![1] = -1
    expect(out.numbers('ts')![0]).toBe(1001)
    expect(batch.select(Uint32Array.from({ length: 100 }, (_, i) => i), 100)).toBe(batch)
  })
})
