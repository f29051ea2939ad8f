// where() on columnar batches runs a selection program (column loops narrowing a selection of
// rows); these tests hold it to the row-by-row evaluation of the same expression.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DictColumn } from '../../src/batch/record-batch.js'
import { compileExpression, RecordBatch, type ColumnData, type SensorRecord, where } from '../../src/index.js'
import { collect, fromItems } from '../helpers.js'

const truthy = (v: unknown): boolean => v !== false && v !== 0 && v !== '' && v != null && v === v

// The rows the per-row path keeps: evaluate() on each plain record.
function expectedIds (src: string, batch: RecordBatch): number[] {
  const { evaluate } = compileExpression(src)
  const ids: number[] = []
  for (let i = 0; i < batch.length; i++) if (truthy(evaluate(batch.row(i)))) ids.push(batch.row(i).id as number)
  return ids
}

const idsOf = (batches: RecordBatch[]): number[] => batches.flatMap(b => b.toRows().map(r => r.id as number))

async function keptBy (src: string, batches: Array<RecordBatch | SensorRecord[]>): Promise<number[]> {
  return idsOf(await collect(where(src)(fromItems(batches))))
}

type Layout = 'float' | 'boxed' | 'absent'

// A columnar batch: id, a, b as Float64Arrays, c as laid out, s dictionary-encoded.
function columnar (rows: Array<{ a: number, b: number, c: number, s: string }>, c: Layout, firstId = 0): RecordBatch {
  const n = rows.length
  const dict = [...new Set(rows.map(r => r.s))]
  const fields = ['id', 'a', 'b', 's']
  const cols: ColumnData[] = [
    Float64Array.from(rows, (_, i) => firstId + i),
    Float64Array.from(rows, r => r.a),
    Float64Array.from(rows, r => r.b),
    new DictColumn(Int32Array.from(rows, r => dict.indexOf(r.s)), dict)
  ]
  if (c === 'float') { fields.push('c'); cols.push(Float64Array.from(rows, r => r.c)) }
  if (c === 'boxed') { fields.push('c'); cols.push(rows.map(r => r.c)) }
  return RecordBatch.fromColumns(fields, cols, n)
}

const valueArb = fc.oneof(
  fc.constantFrom(NaN, -0, 0, 1, -1, 0.5, -40, 125, 3, Infinity, -Infinity, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, 1e-300),
  fc.integer({ min: -5, max: 5 }),
  fc.double()
)
const rowArb = fc.record({ a: valueArb, b: valueArb, c: valueArb, s: fc.constantFrom('x', 'y', 'dev-1', '') })
const rowsArb = fc.oneof(fc.array(rowArb, { maxLength: 2 }), fc.array(rowArb, { maxLength: 12 }), fc.array(rowArb, { minLength: 40, maxLength: 200 }))

// Literals as the language writes them, constant expressions among them.
const numberLit = fc.constantFrom('0', '-0', '1', '-1', '0.5', '3', '-40', '125', '1e308', '-1e308', '5e-324', '-(40)', '- -3', '2 * 3', '(1/0)', '-(1/0)', '(0/0)')
const otherLit = fc.constantFrom('"x"', '"y"', '""', 'true', 'false', 'null')
const numField = fc.constantFrom('a', 'b', 'c', 'id')
const anyField = fc.constantFrom('a', 'b', 'c', 's', 'd', 'a.x', '`a`')
const CMP = ['==', '!=', '<', '<=', '>', '>='] as const

const { expr } = fc.letrec<{ expr: string, cmp: string, operand: string }>(tie => ({
  expr: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    tie('cmp'),
    tie('cmp'),
    fc.oneof(anyField, numberLit, otherLit),
    fc.tuple(tie('expr'), tie('expr')).map(([l, r]) => `(${l} && ${r})`),
    fc.tuple(tie('expr'), tie('expr')).map(([l, r]) => `(${l} || ${r})`),
    tie('expr').map(e => `!(${e})`)
  ),
  // Mostly the shapes that run as column loops; the rest exercises the row-by-row fallback.
  cmp: fc.oneof(
    fc.tuple(numField, fc.constantFrom(...CMP), numberLit).map(([f, op, v]) => `${f} ${op} ${v}`),
    fc.tuple(numberLit, fc.constantFrom(...CMP), numField).map(([v, op, f]) => `${v} ${op} ${f}`),
    fc.tuple(numField, fc.constantFrom(...CMP), numField).map(([f, op, g]) => `${f} ${op} ${g}`),
    fc.tuple(tie('operand'), fc.constantFrom(...CMP), tie('operand')).map(([l, op, r]) => `${l} ${op} ${r}`)
  ),
  operand: fc.oneof(anyField, numberLit, otherLit, fc.tuple(numField, fc.constantFrom('+', '-', '*', '/', '%'), numberLit).map(([f, op, v]) => `(${f} ${op} ${v})`))
}))

// Batches of random rows in random column layouts.
const batchSpecs = fc.array(fc.tuple(rowsArb, fc.constantFrom<Layout>('float', 'float', 'boxed', 'absent')), { minLength: 1, maxLength: 3 })

// where(src) on columnar batches made from specs keeps exactly the rows the per-row evaluation
// keeps, and counts them; returns the batches and the ids kept.
async function checkColumnar (src: string, specs: Array<[Array<{ a: number, b: number, c: number, s: string }>, Layout]>): Promise<{ batches: RecordBatch[], expected: number[] }> {
  let id = 0
  const batches = specs.map(([rows, layout]) => { const b = columnar(rows, layout, id); id += rows.length; return b })
  const expected = batches.flatMap(b => expectedIds(src, b))
  const stage = where(src)
  expect(idsOf(await collect(stage(fromItems(batches)))), src).toEqual(expected)
  expect(stage.stats, src).toEqual({ kept: expected.length, dropped: id - expected.length })
  return { batches, expected }
}

describe('where(): selection programs on columnar batches (property)', () => {
  it('keeps exactly the rows the per-row evaluation keeps, for random expressions and values', async () => {
    await fc.assert(fc.asyncProperty(expr, batchSpecs, async (src, specs) => {
      const { batches, expected } = await checkColumnar(src, specs)
      // The same records as row-backed batches take the per-row path and agree.
      expect(await keptBy(src, batches.map(b => b.toRows())), src).toEqual(expected)
    }), { numRuns: 1500 })
  })

  it('narrows only the rows it is given, keeping their order (property)', () => {
    fc.assert(fc.property(expr, fc.array(rowArb, { minLength: 1, maxLength: 60 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (src, rows, picks) => {
      const batch = columnar(rows, 'float')
      const given = rows.map((_, i) => i).filter(i => picks[i])
      const sel = new Uint32Array(rows.length + 5).fill(7777)
      sel.set(given)
      const k = compileExpression(src).refine(batch, sel, given.length)
      const all = new Set(expectedIds(src, batch))
      expect([...sel.subarray(0, k)], src).toEqual(given.filter(i => all.has(i)))
    }), { numRuns: 500 })
  })
})

describe('where(): a range on one field (both bounds in one loop)', () => {
  // field >/>= lo && field </<= hi, in either order, each with the number on either side, and
  // near misses (two lower bounds, two fields, a bound that is not a number) that stay two loops.
  const bound = (f: string, op: string, v: string, mirrored: boolean): string => mirrored ? `${v} ${MIRRORED[op]!} ${f}` : `${f} ${op} ${v}`
  const MIRRORED: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' }
  const rangeExpr = fc.tuple(numField, fc.constantFrom('>', '>=', '<', '<=', '=='), numberLit, fc.boolean(), fc.oneof(numField, fc.constant('same')),
    fc.constantFrom('<', '<=', '>', '>=', '!='), fc.oneof(numberLit, otherLit), fc.boolean())
    .map(([f, op1, v1, m1, g, op2, v2, m2]) => `${bound(f, op1, v1, m1)} && ${bound(g === 'same' ? f : g, op2, v2, m2)}`)

  it('keeps exactly the rows the per-row evaluation keeps (property)', async () => {
    await fc.assert(fc.asyncProperty(rangeExpr, batchSpecs, async (src, specs) => {
      await checkColumnar(src, specs)
    }), { numRuns: 1500 })
  })

  it('narrows only the rows it is given, with each pair of bound kinds', () => {
    const rows = [-41, -40, -39.5, 0, -0, NaN, 124.99, 125, 125.01, Infinity, -Infinity].map((a, i) => ({ a, b: i, c: 0, s: 'x' }))
    const batch = columnar(rows, 'float')
    for (const src of ['a >= -40 && a <= 125', 'a > -40 && a < 125', 'a >= -40 && a < 125', 'a > -40 && a <= 125', 'a <= 125 && a >= -40', '125 > a && -40 < a']) {
      const given = [0, 1, 2, 4, 5, 6, 7, 8, 9]
      const sel = Uint32Array.from(given)
      const k = compileExpression(src).refine(batch, sel, given.length)
      const all = new Set(expectedIds(src, batch))
      expect([...sel.subarray(0, k)], src).toEqual(given.filter(i => all.has(i)))
    }
  })
})

describe('where(): column loops agree with the row path on edge cases', () => {
  const rows = [
    { a: NaN, b: 1, c: 0, s: 'x' },
    { a: -0, b: 0, c: 0, s: 'y' },
    { a: 0, b: -0, c: 0, s: 'x' },
    { a: Infinity, b: Infinity, c: 0, s: 'y' },
    { a: -Infinity, b: NaN, c: 0, s: 'x' },
    { a: -40, b: 125, c: 0, s: 'x' },
    { a: 125.01, b: 5e-324, c: 0, s: 'y' },
    { a: 1e308, b: -1e308, c: 0, s: 'x' }
  ]

  it('reads a number on the left as the mirrored comparison', async () => {
    for (const src of ['125 >= a', '-40 <= a', '0 == a', '0 != a', '-(40) < a', '(1/0) > a', '-0 >= a', '(0/0) != a', '5e-324 > b']) {
      const batch = columnar(rows, 'float')
      expect(await keptBy(src, [batch]), src).toEqual(expectedIds(src, batch))
    }
  })

  it('treats NaN as the row path does: every comparison false, != true', async () => {
    const batch = columnar(rows, 'float')
    expect(await keptBy('a != 5', [batch])).toContain(0)
    expect(await keptBy('a == a', [batch])).not.toContain(0)
    expect(await keptBy('a != a', [batch])).toEqual([0])
    expect(await keptBy('a != 0/0', [batch])).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(await keptBy('a == 0/0', [batch])).toEqual([])
    expect(await keptBy('a < b || a >= b', [batch])).toEqual([1, 2, 3, 5, 6, 7])
    expect(await keptBy('a', [batch])).toEqual([3, 4, 5, 6, 7])
    for (const src of ['a != 5', 'a == a', 'a != a', 'a < b || a >= b', 'a', '!a', 'a != b', 'a == b']) {
      expect(await keptBy(src, [batch]), src).toEqual(expectedIds(src, batch))
    }
  })

  it('makes -0 equal to 0', async () => {
    expect(await keptBy('a == 0', [columnar(rows, 'float')])).toEqual([1, 2])
    expect(await keptBy('a == b', [columnar(rows, 'float')])).toEqual([1, 2, 3])
  })

  it('reads a field the batch lacks as undefined, like the row path', async () => {
    const batch = columnar(rows, 'absent')
    expect(await keptBy('c > -1', [batch])).toEqual([])
    expect(await keptBy('c != 0', [batch])).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(await keptBy('!(c == 0) && a > 0', [batch])).toEqual([3, 6, 7])
    expect(await keptBy('a == c || b == c', [batch])).toEqual([])
    expect(await keptBy('missing', [batch])).toEqual([])
  })

  it('evaluates a non-numeric column row by row, on the rows still selected', async () => {
    const batch = columnar(rows, 'boxed')
    for (const src of ['c == 0 && s == "x"', 's < "y" || a > 100', 'a > 0 && s', '!(s == "x") && c >= 0', 'a.x == 1', 'a + 1 > 0']) {
      expect(await keptBy(src, [batch]), src).toEqual(expectedIds(src, batch))
    }
  })

  it('gives row-backed batches the same answer through the per-row path', async () => {
    const recs = rows.map((r, id) => ({ id, ...r }))
    for (const src of ['a >= -40 && a <= 125', '125 >= a', 'a != a', 'a < 0 || a > 100', '!(a > 0)', 'c == 0 && s == "x"']) {
      expect(await keptBy(src, [recs]), src).toEqual(await keptBy(src, [columnar(rows, 'float')]))
      expect(await keptBy(src, [RecordBatch.fromRows(recs)]), src).toEqual(expectedIds(src, columnar(rows, 'float')))
    }
  })

  it('keeps ascending order through || and !', async () => {
    const batch = columnar(rows, 'float')
    expect(await keptBy('a < 0 || a > 100', [batch])).toEqual([3, 4, 5, 6, 7])
    expect(await keptBy('b > 100 || a < 0 || a == 0', [batch])).toEqual([1, 2, 3, 4, 5])
    expect(await keptBy('!(a < 0 || a > 100)', [batch])).toEqual([0, 1, 2])
  })

  it('passes the batch itself on when every row passes, and nothing when none does', async () => {
    const batch = columnar(rows.slice(1), 'float')
    const all = where('a == a')
    const out = await collect(all(fromItems([batch])))
    expect(out).toHaveLength(1)
    expect(out[0]).toBe(batch)
    expect(all.stats).toEqual({ kept: 7, dropped: 0 })
    const none = where('a != a || b < -1e308 && false')
    expect(await collect(none(fromItems([batch, columnar([], 'float'), batch])))).toEqual([])
    expect(none.stats).toEqual({ kept: 0, dropped: 14 })
  })

  it('reads constant expressions once: true keeps every row, false none', async () => {
    const batch = columnar(rows, 'float')
    expect(await keptBy('1 < 2', [batch])).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(await keptBy('!(1 < 2) || "" ', [batch])).toEqual([])
    expect(await keptBy('(0/0)', [batch])).toEqual([])
  })

  it('handles a batch larger than the selection it started with, then a smaller one', async () => {
    const big = Array.from({ length: 5000 }, (_, i) => ({ a: i % 7 === 0 ? NaN : i - 2500, b: i % 3, c: -i, s: i % 2 === 0 ? 'x' : 'y' }))
    const batches = [columnar(big.slice(0, 3), 'float', 0), columnar(big, 'float', 3), columnar(big.slice(0, 10), 'float', 5003)]
    for (const src of ['a >= -40 && a <= 125', 'a < 0 || b == 2', '!(a > c) && s == "x"']) {
      const stage = where(src)
      const expected = batches.flatMap(b => expectedIds(src, b))
      expect(idsOf(await collect(stage(fromItems(batches)))), src).toEqual(expected)
      expect(stage.stats.kept + stage.stats.dropped).toBe(5013)
    }
  })
})
