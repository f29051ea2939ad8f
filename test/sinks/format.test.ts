import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCsv, RecordBatch, toCsv, toJsonLines } from '../../src/index.js'
import { DictColumn } from '../../src/batch/record-batch.js'
import { collect, fromItems, stageContract } from '../helpers.js'

// toJsonLines yields UTF-8 Buffers; these tests read them as text.
const texts = (chunks: Array<string | Uint8Array>): string[] => chunks.map(c => {
  expect(c).toBeInstanceOf(Uint8Array)
  return Buffer.from(c as Uint8Array).toString('utf8')
})

describe('toJsonLines()', () => {
  it('formats each batch as one UTF-8 buffer of JSON lines, each ending in LF', async () => {
    const stage = toJsonLines()
    const out = texts(await collect(stage(fromItems([[{ a: 1, b: 'x' }, { a: 2, n: null }], [{ s: 'quote " and \n' }]]))))
    expect(out).toEqual(['{"a":1,"b":"x"}\n{"a":2,"n":null}\n', '{"s":"quote \\" and \\n"}\n'])
    expect(stage.stats).toEqual({ records: 3 })
  })

  it('formats columnar batches row by row, in field order', async () => {
    const batches = await collect(parseCsv({ columns: 'ts:time,sensor:string,value:float' })(fromItems([['1,a,2.5', '2,b,-0']])))
    expect(texts(await collect(toJsonLines()(fromItems(batches))))).toEqual(['{"ts":1,"sensor":"a","value":2.5}\n{"ts":2,"sensor":"b","value":0}\n'])
  })

  it('writes columnar batches as JSON.stringify writes their rows: repeated numbers, short and long keys and strings, output past the first buffer', async () => {
    // Numbers drawn from a few values, so that runs of equal ones (copied from the row before,
    // not printed again) are common, with NaN, -0 and texts of 1 to 24 bytes among them.
    const num = fc.constantFrom(0, -0, 1, 7, NaN, Infinity, -12.5, 23.001875000000005, 1700000000000, 1e21, 2 ** 53, 0.1, -1.2345678901234567e+308)
    const name = fc.string({ minLength: 0, maxLength: 12, unit: fc.constantFrom('a', 'é', '"', '\\', 'key', 'x') })
    // Strings written in the row loop (plain, up to 64 units) and through the writer (longer, or
    // needing escapes, or not ASCII), the two mixed in one row.
    const str = fc.oneof(fc.string(), fc.string({ minLength: 60, maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.constantFrom('dev-07', 'x'.repeat(64), 'y'.repeat(65), 'é', 'say "hi"', 'a\u0001b', '\\', '\uD800'))
    const column = fc.oneof(
      fc.record({ kind: fc.constant('numbers' as const), run: fc.integer({ min: 1, max: 5 }), values: fc.array(num, { minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('values' as const), run: fc.constant(1), values: fc.array(fc.oneof(str, fc.constant(undefined), fc.constant(null), fc.constant(true), num), { minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('dictionary' as const), run: fc.integer({ min: 1, max: 3 }), values: fc.array(str, { minLength: 1, maxLength: 6 }) }))
    const shape = fc.record({
      fields: fc.uniqueArray(name, { minLength: 1, maxLength: 6 }),
      columns: fc.array(column, { minLength: 6, maxLength: 6 }),
      rows: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2000, max: 3000 }))
    })
    await fc.assert(fc.asyncProperty(shape, async ({ fields, columns, rows }) => {
      // Column j's value in row i: values[floor(i / run) % length] (runs of `run` equal values).
      const cols = fields.map((_, j) => {
        const { kind, run, values } = columns[j]!
        const at = (i: number): unknown => values[Math.floor(i / run) % values.length]
        if (kind === 'numbers') return Float64Array.from({ length: rows }, (_, i) => at(i) as number)
        if (kind === 'dictionary') return new DictColumn(Int32Array.from({ length: rows }, (_, i) => Math.floor(i / run) % values.length), values as string[])
        return Array.from({ length: rows }, (_, i) => at(i))
      })
      const batch = RecordBatch.fromColumns(fields, cols, rows)
      const expected = Array.from({ length: rows }, (_, i) => JSON.stringify(batch.row(i)) + '\n').join('')
      expect(texts(await collect(toJsonLines()(fromItems([batch])))).join('')).toBe(expected)
    }), { numRuns: 300 })
  })

  it('skips empty batches', async () => {
    expect(texts(await collect(toJsonLines()(fromItems([[], RecordBatch.fromRows([]), [{ a: 1 }]]))))).toEqual(['{"a":1}\n'])
  })
})

describe('toCsv()', () => {
  it('writes a header once, then the rows, quoting what needs it', async () => {
    const stage = toCsv()
    const out = await collect(stage(fromItems([
      [{ a: 1, b: 'x,y' }, { a: 2, b: 'say "hi"' }],
      [{ a: 3, b: 'l1\nl2' }, { a: 4, b: 'cr\r' }, { a: null, b: undefined }, { a: true, b: { x: 1 } }]
    ])))
    expect(out.join('')).toBe('a,b\n1,"x,y"\n2,"say ""hi"""\n3,"l1\nl2"\n4,"cr\r"\n,\ntrue,"{""x"":1}"\n')
    expect(out).toHaveLength(2)
    expect(stage.stats).toEqual({ records: 6 })
  })

  it('takes the columns of the first record, leaving out later extra keys', async () => {
    const out = await collect(toCsv()(fromItems([[{ a: 1 }, { a: 2, extra: 3 }, { b: 4 }]])))
    expect(out.join('')).toBe('a\n1\n2\n\n')
  })

  it('writes the given columns in the given order, with a header once', async () => {
    const out = await collect(toCsv({ columns: ['b', 'a'] })(fromItems([[], [{ a: 1, b: 2 }], [{ a: 3, b: 4 }]])))
    expect(out.join('')).toBe('b,a\n2,1\n4,3\n')
  })

  it('leaves the header out with header: false', async () => {
    expect((await collect(toCsv({ header: false })(fromItems([[{ a: 1, b: 2 }]])))).join('')).toBe('1,2\n')
    expect((await collect(toCsv({ header: false, columns: ['b'] })(fromItems([[{ a: 1, b: 2 }]])))).join('')).toBe('2\n')
  })

  it('quotes by the chosen delimiter', async () => {
    const out = await collect(toCsv({ delimiter: ';' })(fromItems([[{ 'x;y': 'a,b', c: 'a;b' }]])))
    expect(out.join('')).toBe('"x;y";c\na,b;"a;b"\n')
    const tab = await collect(toCsv({ delimiter: '\t' })(fromItems([[{ a: 'x\ty', b: 'z' }]])))
    expect(tab.join('')).toBe('a\tb\n"x\ty"\tz\n')
  })

  it('throws TypeErrors naming the option at build time', () => {
    for (const d of ['"', '', ';;']) expect(() => toCsv({ delimiter: d })).toThrow(/"delimiter"/)
    expect(() => toCsv({ columns: [] })).toThrow(/"columns"/)
    expect(() => toCsv({ columns: 'a' as unknown as string[] })).toThrow(/"columns"/)
  })
})

describe('toJsonLines(): stage contract', () => {
  stageContract(() => toJsonLines(), i => [{ i }])
})

describe('toCsv(): stage contract', () => {
  stageContract(() => toCsv(), i => [{ i }])
})
