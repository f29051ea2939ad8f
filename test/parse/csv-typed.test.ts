// parseCsv's fast path (a column list of required time, float, int and string columns only,
// the common case) against a reference built from the per-field converters and the rules of the
// general path: a line is read field by field, left to right; a field starting with a quote
// sends the whole line to the RFC 4180 reader; the first field that does not fit its type, or a
// wrong field count found on the way, rejects the line.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { unitsOf } from '../../src/batch/line-batch.js'
import { type Column, convertField, INVALID, parseColumns, typeReason } from '../../src/parse/columns.js'
import { splitQuoted } from '../../src/parse/csv.js'
import { parseCsv, type Rejection, StringInterner } from '../../src/index.js'
import { collect, fromItems, lineBatch, rowsOf } from '../helpers.js'

interface Outcome {
  rows: Array<Record<string, unknown>>
  rejections: Array<{ reason: string, line: number, raw: string, linesSoFar: number }>
  stats: { lines: number, parsed: number, malformed: number, reasons: Record<string, number> }
}

// -0 and 0 are told apart: the fast path must give the same bits.
const bits = (r: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && Object.is(v, -0) ? '-0' : v]))

async function run (columns: string, delimiter: string, batches: string[][]): Promise<Outcome> {
  const rejections: Outcome['rejections'] = []
  const stage = parseCsv({
    columns,
    delimiter,
    onError: (r: Rejection) => { rejections.push({ reason: r.reason, line: r.line, raw: r.raw, linesSoFar: stage.stats.lines }) }
  })
  let first = 1
  const input = batches.map(b => { const batch = lineBatch(b, first); first += b.length; return batch })
  const rows = rowsOf(await collect(stage(fromItems(input)))).map(bits)
  const { lines, parsed, malformed, reasons } = stage.stats
  return { rows, rejections, stats: { lines, parsed, malformed, reasons: { ...reasons } } }
}

// One line by the rules: a record, or the reason it is rejected.
function readLine (line: string, cols: Column[], delimiter: string): Record<string, unknown> | string {
  const row: Record<string, unknown> = {}
  let pos = 0
  for (let c = 0; c < cols.length; c++) {
    if (line[pos] === '"') {
      const values = splitQuoted(line, delimiter)
      if (typeof values === 'string') return 'bad-quote'
      if (values.length !== cols.length) return 'field-count'
      for (let k = 0; k < cols.length; k++) {
        const v = convertField(cols[k]!, values[k]!, 0, values[k]!.length)
        if (v === INVALID) return typeReason(cols[k]!.type)
        row[cols[k]!.name] = v
      }
      return row
    }
    const end = line.indexOf(delimiter, pos)
    const to = end < 0 ? line.length : end
    if (c === cols.length - 1 ? end >= 0 : end < 0) return 'field-count'
    const v = convertField(cols[c]!, line, pos, to)
    if (v === INVALID) return typeReason(cols[c]!.type)
    row[cols[c]!.name] = v
    pos = to + 1
  }
  return row
}

function reference (columns: string, delimiter: string, batches: string[][]): Outcome {
  const cols = parseColumns(columns)
  const out: Outcome = { rows: [], rejections: [], stats: { lines: 0, parsed: 0, malformed: 0, reasons: {} } }
  for (const line of batches.flat()) {
    const n = ++out.stats.lines
    const r = readLine(line, cols, delimiter)
    if (typeof r === 'string') {
      out.rejections.push({ reason: r, line: n, raw: line, linesSoFar: n })
      out.stats.malformed++
      out.stats.reasons[r] = (out.stats.reasons[r] ?? 0) + 1
    } else {
      out.rows.push(bits(r))
      out.stats.parsed++
    }
  }
  return out
}

const PIECES = ['0', '7', '12', '1700000000000', '170000000000012', '1700000000000123', '123456789', '1234567890',
  '-', '+', '.', 'e', 'E3', '-0', '23.51', '0.000001', '123456.789012345', '9007199254740993', 'x', ' ', 'é', 'dev-07',
  'dev-08', 'abcdefghijklmnopqrstu', '"', '""', '"a,b"', '\t', ';', ',', '2024-01-01T00:00:00Z']
const field = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 3 }).map(a => a.join('')) },
  { weight: 2, arbitrary: fc.stringMatching(/^[+-]?[0-9]{0,17}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,3})?$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.double().map(String) }
)
const columnsArb = fc.array(fc.constantFrom('time', 'float', 'int', 'string'), { minLength: 1, maxLength: 4 })
  .map(types => types.map((t, i) => `c${i}:${t}`).join(','))

describe('parseCsv(): the fast path for time, float, int and string columns', () => {
  it('gives the records, rejections and counts the rules give (property)', async () => {
    await fc.assert(fc.asyncProperty(
      columnsArb,
      fc.constantFrom(',', ';', '\t'),
      fc.array(fc.array(fc.array(field, { maxLength: 5 }), { maxLength: 8 }), { maxLength: 4 }),
      async (columns, delimiter, raw) => {
        const batches = raw.map(b => b.map(fields => fields.join(delimiter)))
        expect(await run(columns, delimiter, batches)).toEqual(reference(columns, delimiter, batches))
      }), { numRuns: 400 })
  })

  it('reads numbers at the edges of its plain forms as the general converters do', async () => {
    const lines = [
      '999999999999999,1,1', '1000000000000000,1,1', // 15 and 16 digits
      '1,999999999999999,1', '1,-999999999999999,1', '1,9007199254740991,1', '1,9007199254740992,1', '1,+5,1', '1,-0,1',
      '1,1,123456789.123456', '1,1,1234567891.1234567', '1,1,-0', '1,1,-0.0', '1,1,+.5', '1,1,5.', '1,1,1e3', '1,1,.',
      '0001,1,0.1', '1,0001,0.3'
    ]
    const outcome = await run('t:time,i:int,f:float', ',', [lines])
    expect(outcome).toEqual(reference('t:time,i:int,f:float', ',', [lines]))
    expect(outcome.rows.slice(0, 3)).toEqual([
      { t: 999999999999999, i: 1, f: 1 },
      { t: 1, i: 999999999999999, f: 1 },
      { t: 1, i: -999999999999999, f: 1 }
    ])
    expect(outcome.rejections[0]).toMatchObject({ reason: 'bad-time', line: 2 }) // a time has at most 15 digits
  })

  it('gives a string read by the general path and by the fast path one dictionary id', async () => {
    // The ISO time sends the first line's rest to the general path; the second line is plain.
    for (const s of ['a', 'abc', 'abcd', 'dev-07', 'abcdefgh', 'abcdefghi', 'x'.repeat(17)]) {
      const stage = parseCsv({ columns: 'ts:time,sensor:string' })
      const [batch] = await collect(stage(fromItems([[`2024-01-01T00:00:00Z,${s}`, `1,${s}`]])))
      const { ids, dict } = batch!.dictionary('sensor')!
      expect(ids[0], s).toBe(ids[1])
      expect(dict[ids[0]!]).toBe(s)
    }
  })

  it('counts lines as the general path does when a handler reads stats.lines', async () => {
    const seen: number[] = []
    const stage = parseCsv({ columns: 'ts:time,v:float', quotedNewlines: true, onError: () => seen.push(stage.stats.lines) })
    await collect(stage(fromItems([lineBatch(['1,1', 'x,1', '"2,3"', '2,"a', 'b"', '3,y'], 1), lineBatch(['z', '4,4'], 7)])))
    // Line 5 is part of the quoted record begun on line 4, so it is not a line of its own.
    expect(seen).toEqual([2, 3, 4, 5, 6])
    expect(stage.stats).toMatchObject({ lines: 7, parsed: 2, malformed: 5 })
  })
})

describe('StringInterner', () => {
  it('gives ids of the strings asked for, with or without a view of the bytes (property)', () => {
    const str = fc.oneof(fc.constantFrom('a', 'ab', 'dev-07', 'dev-08', 'sensor-0001', 'é', 'x'.repeat(20), 'y'.repeat(70)), fc.string({ maxLength: 20 }))
    fc.assert(fc.property(fc.array(fc.array(str, { maxLength: 30 }), { maxLength: 4 }), fc.constantFrom(4, 64, 4096), (batches, slots) => {
      const interner = new StringInterner(slots)
      for (const strings of batches) {
        const dict = interner.startDictionary()
        const text = strings.join('\n')
        const units = unitsOf(text)
        const view = new DataView(units.buffer, units.byteOffset, units.byteLength)
        let from = 0
        strings.forEach((s, k) => {
          const to = from + Buffer.byteLength(s)
          let h = 0
          let any = 0
          for (let i = from; i < to; i++) { h = Math.imul(h ^ units[i]!, 16777619); any |= units[i]! }
          const id = interner.idOf(units, from, to, h, any, k % 2 === 0 ? view : undefined)
          expect(dict[id]).toBe(Buffer.from(s).toString())
          expect(interner.get(units, from, to)).toBe(Buffer.from(s).toString())
          from = to + 1
        })
      }
    }), { numRuns: 300 })
  })

  it('keeps two strings whose first slots collide (two-way), so they keep their ids', () => {
    // With 4 slots and the byte as the hash, 'q' and 'u' both have slot 0 first; 'u' has slot 2
    // second. A direct-mapped cache would make a new dictionary entry at every alternation.
    const interner = new StringInterner(4)
    const dict = interner.startDictionary()
    const units = unitsOf('qu')
    const ids = [0, 1, 0, 1, 0, 1].map(i => interner.idOf(units, i, i + 1, units[i]!, units[i]!))
    expect(ids).toEqual([0, 1, 0, 1, 0, 1])
    expect(dict).toEqual(['q', 'u'])
  })
})
