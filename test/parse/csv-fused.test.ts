// parseCsv on batches that lines() left unframed (LineBatch, "Framed lazily"): the typed loop
// finds the line ends itself. Whatever the bytes, the chunking and the line-length limit, the
// records, rejections, line numbers and counters of both stages must be those of the same
// stages when every batch is framed before parseCsv sees it (the framed path, which the other
// parser tests check against the rules).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineBatch, lines, parseCsv, type Rejection } from '../../src/index.js'
import { collect, cutAt, fromItems, rowsOf } from '../helpers.js'

interface Outcome {
  rows: Array<Record<string, unknown>>
  rejections: Array<{ stage: string, reason: string, line: number, raw: string, bytes: string, parserLines: number }>
  parser: { lines: number, parsed: number, malformed: number, reasons: Record<string, number> }
  framer: { lines: number, tooLong: number }
  fused: number
}

// -0 and 0 are told apart: both paths must give the same bits.
const bits = (r: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && Object.is(v, -0) ? '-0' : v]))

async function run (columns: string, chunks: Buffer[], maxLineBytes: number, framedFirst: boolean, reuse: boolean): Promise<Outcome> {
  const rejections: Outcome['rejections'] = []
  const onError = (r: Rejection, bytes?: Uint8Array): void => {
    // (parser.stats.lines as a handler sees it: for the parser's own rejections only, as the
    // framer reports a dropped line before or while the parser reads the batch.)
    rejections.push({ stage: r.stage, reason: r.reason, line: r.line, raw: r.raw, bytes: Buffer.from(bytes ?? []).toString('hex'), parserLines: r.stage === 'parseCsv' ? parser.stats.lines : -1 })
  }
  const framer = lines({ maxLineBytes, onError, reuse })
  const parser = parseCsv({ columns, onError, reuse })
  let fused = 0
  // Counts the batches parseCsv receives unframed; with framedFirst, frames each one first.
  async function * between (batches: AsyncIterable<LineBatch>): AsyncGenerator<LineBatch> {
    for await (const b of batches) {
      if (framedFirst) void b.length
      if (!b.framed) fused++
      yield b
    }
  }
  const out = await collect(parser(between(framer(fromItems(chunks)))))
  const rows = rowsOf(out).map(bits)
  // In line order: the framed path reports a batch's dropped lines before the parser's rejections.
  rejections.sort((a, b) => a.line - b.line)
  for (const b of out) b.release()
  const { lines: n, parsed, malformed, reasons } = parser.stats
  return { rows, rejections, parser: { lines: n, parsed, malformed, reasons: { ...reasons } }, framer: { ...framer.stats }, fused: framedFirst ? 0 : fused }
}

async function same (columns: string, bytes: Buffer, cuts: number[], maxLineBytes: number, reuse: boolean): Promise<Outcome> {
  const fused = await run(columns, cutAt(bytes, cuts), maxLineBytes, false, reuse)
  const framed = await run(columns, cutAt(bytes, cuts), maxLineBytes, true, reuse)
  expect({ ...fused, fused: 0 }).toEqual(framed)
  return fused
}

// Pieces of lines: numbers of every plain and unusual form, ids, line endings where they belong
// and where they do not (a lone CR, CR CR LF), control characters, quotes, empty fields.
const PIECES = ['0', '7', '12', '1700000000000', '-3.5', '23.51', '1e3', '.5', '5.', '+1', '-0', 'dev-07', 'dev-08',
  'abcdefghijklmnopq', 'é', '\t', '\x01', '\r', '"', '"a,b"', '', ' ', 'x']
const line = fc.array(fc.array(fc.constantFrom(...PIECES), { maxLength: 3 }).map(a => a.join('')), { maxLength: 4 }).map(f => f.join(','))
const ending = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r\r\n')
const text = fc.array(fc.tuple(line, ending), { maxLength: 40 }).chain(ls =>
  fc.tuple(fc.constant(ls.map(([l, e]) => l + e).join('')), fc.oneof(fc.constant(''), line)))
  .map(([body, last]) => Buffer.from(body + last, 'utf8'))
const columnsArb = fc.constantFrom('ts:time,sensor:string,value:float', 'a:int,b:string', 's:string', 'v:float,t:time,s:string,i:int')

describe('parseCsv() on lazily framed batches (framing fused into the typed loop)', () => {
  it('gives the records, rejections, line numbers and counts of framed batches (property)', async () => {
    await fc.assert(fc.asyncProperty(
      columnsArb,
      text,
      fc.array(fc.nat(400), { maxLength: 6 }),
      fc.constantFrom(4, 9, 16, 30, 65536),
      fc.boolean(),
      async (columns, bytes, cuts, maxLineBytes, reuse) => {
        await same(columns, bytes, cuts, maxLineBytes, reuse)
      }), { numRuns: 500 })
  })

  it('parses unframed batches itself, with the reference job\'s lines', async () => {
    const body = Array.from({ length: 3000 }, (_, i) => `${1700000000000 + i},dev-${String(i % 64).padStart(2, '0')},${(i % 97) / 4}${i % 7 === 0 ? '\r' : ''}\n`).join('') + 'x,y\n'
    const out = await same('ts:time,sensor:string,value:float', Buffer.from(body), [700, 20000, 45000], 65536, true)
    expect(out.fused).toBe(4)
    expect(out.parser).toMatchObject({ lines: 3001, parsed: 3000, malformed: 1 })
    expect(out.rows[2999]).toEqual({ ts: 1700000002999, sensor: 'dev-55', value: (2999 % 97) / 4 })
    expect(out.rejections).toEqual([expect.objectContaining({ reason: 'bad-time', line: 3001, raw: 'x,y', parserLines: 3001 })])
  })

  it('grows its arrays when a batch holds far more lines than its bytes suggested', async () => {
    // 1-byte lines: twenty times the lines per byte of the estimate the first batch is sized by.
    const out = await same('a:int', Buffer.from('1\n'.repeat(20000) + '22\n'.repeat(10)), [], 65536, true)
    expect(out.fused).toBe(1)
    expect(out.parser).toMatchObject({ lines: 20010, parsed: 20010 })
    expect(out.rows.slice(19999, 20001)).toEqual([{ a: 1 }, { a: 22 }])
  })

  it('hands a batch back to the framer at a line over maxLineBytes, which drops it and numbers the rest', async () => {
    const body = '1,a\n2,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n3,c\n4,dddddddddddddddddddddddddddddd\nx\n5,e\n'
    const out = await same('n:int,s:string', Buffer.from(body), [], 20, false)
    expect(out.rows).toEqual([{ n: 1, s: 'a' }, { n: 3, s: 'c' }, { n: 5, s: 'e' }])
    expect(out.framer).toEqual({ lines: 6, tooLong: 2 })
    expect(out.rejections.map(r => [r.stage, r.reason, r.line])).toEqual([['lines', 'too-long', 2], ['lines', 'too-long', 4], ['parseCsv', 'field-count', 5]])
    expect(out.parser).toMatchObject({ lines: 4, parsed: 3, malformed: 1 })
  })

  it('takes a CR before the LF as the line ending and any other CR as data', async () => {
    const out = await same('n:int,s:string', Buffer.from('1,a\r\n2,b\r\r\n3,c\rd\n4,\r\n'), [], 65536, false)
    expect(out.rows).toEqual([{ n: 1, s: 'a' }, { n: 2, s: 'b\r' }, { n: 3, s: 'c\rd' }])
    expect(out.rejections.map(r => [r.reason, r.line, r.raw])).toEqual([['empty-string', 4, '4,']])
  })
})

describe('LineBatch, framed lazily', () => {
  it('is framed when first read, and counted by lines() even when nobody reads it', async () => {
    const framer = lines()
    const batches = await collect(framer(fromItems([Buffer.from('a\nb\n'), Buffer.from('c\r\nd')])))
    expect(framer.stats.lines).toBe(4)
    expect(batches.map(b => b.toArray())).toEqual([['a', 'b'], ['c'], ['d']])
    expect(batches[1]!.lineNumber(0)).toBe(3)
  })

  it('frames a batch released unread before its bytes go back for reuse', async () => {
    const framer = lines({ reuse: true })
    let n = 0
    for await (const b of framer(fromItems([Buffer.from('a\nb\n'), Buffer.from('c\n')]))) { b.release(); n++ }
    expect(n).toBe(2)
    expect(framer.stats.lines).toBe(3)
  })

  it('lets its consumer frame it, and nobody else meanwhile', async () => {
    const it = lines()(fromItems([Buffer.from('ab\ncd\n'), Buffer.from('ef\n')]))[Symbol.asyncIterator]()
    const batch = (await it.next()).value as LineBatch
    const f = batch.beginFraming()!
    expect(f).toBeDefined()
    expect(batch.beginFraming()).toBeUndefined()
    expect(() => { batch.frame() }).toThrow(/being framed/)
    f.starts[0] = 0
    f.ends[0] = 2
    expect(batch.at(0)).toBe('ab')
    batch.endFraming(1, 3)
    expect(batch.toArray()).toEqual(['ab', 'cd'])
    expect(batch.framed).toBe(true)
    expect(batch.beginFraming()).toBeUndefined()
    expect(() => { batch.endFraming(0, 0) }).toThrow(/not being framed/)
  })
})
