// CSV as RFC 4180 writes it: quoted fields with delimiters, doubled quotes and line breaks inside
// (parseCsv's `quotedNewlines`), wherever the chunk boundaries fall, and the bounds on a record
// that never closes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lines, parseCsv, type ParseCsvOptions, pipe, type Rejection } from '../../src/index.js'
import { collect, cutAt, fromItems, rowsOf } from '../helpers.js'

const COLUMNS = 'ts:time,sensor:string,note:string,value:float'

async function run (input: string | Buffer, options: Partial<ParseCsvOptions> = {}, cuts: number[] = [], maxLineBytes?: number): Promise<{ rows: Array<Record<string, unknown>>, errors: Array<{ r: Rejection, bytes: string }>, stage: ReturnType<typeof parseCsv>, framer: ReturnType<typeof lines> }> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  const errors: Array<{ r: Rejection, bytes: string }> = []
  const stage = parseCsv({ columns: COLUMNS, quotedNewlines: true, onError: (r, b) => errors.push({ r, bytes: Buffer.from(b!).toString('latin1') }), ...options })
  const framer = lines({ maxLineBytes })
  const out = await collect(pipe(fromItems(cutAt(bytes, cuts)), framer, stage))
  return { rows: rowsOf(out), errors, stage, framer }
}

/** An RFC 4180 field: quoted when it holds a delimiter, a quote, CR or LF. */
function quote (s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

describe('parseCsv({ quotedNewlines: true })', () => {
  it('reads a field holding LF and CRLF line breaks as one record, its breaks as LF', async () => {
    const { rows, errors, stage } = await run('1,a,"one\ntwo\r\nthree",1.5\n2,b,plain,2\n')
    expect(errors).toEqual([])
    expect(rows).toEqual([{ ts: 1, sensor: 'a', note: 'one\ntwo\nthree', value: 1.5 }, { ts: 2, sensor: 'b', note: 'plain', value: 2 }])
    expect(stage.stats).toEqual({ lines: 2, parsed: 2, malformed: 0, reasons: {} })
    expect(stage.multiline).toEqual({ records: 1, lines: 2 })
  })

  it('joins a record whose lines arrive in different batches, and keeps the order of records', async () => {
    const text = '1,a,x,1\n2,b,"line 1\nline 2\nline 3",2\n3,c,y,3\n'
    for (let cut = 0; cut <= text.length; cut++) {
      const { rows } = await run(text, {}, [cut, cut + 3])
      expect(rows.map(r => r.ts), `cut at ${cut}`).toEqual([1, 2, 3])
      expect(rows[1]!.note).toBe('line 1\nline 2\nline 3')
    }
  })

  it('rejects a record that fails after joining once, numbered by its first line, with all its bytes', async () => {
    const { rows, errors, stage } = await run('1,a,"x\ny",oops\n2,b,z,2\n')
    expect(rows).toEqual([{ ts: 2, sensor: 'b', note: 'z', value: 2 }])
    expect(errors.map(e => [e.r.reason, e.r.line, e.r.raw, e.bytes])).toEqual([['bad-float', 1, '1,a,"x\ny",oops', '1,a,"x\ny",oops']])
    expect(stage.stats.lines).toBe(stage.stats.parsed + stage.stats.malformed)
  })

  it('rejects a record still open at the end of the input (bad-quote)', async () => {
    const { rows, errors } = await run('1,a,x,1\n2,b,"never\nclosed,2\n')
    expect(rows).toHaveLength(1)
    expect(errors.map(e => [e.r.reason, e.r.line, e.bytes])).toEqual([['bad-quote', 2, '2,b,"never\nclosed,2']])
    expect(errors[0]!.r.detail).toMatch(/end of input/)
  })

  it('gives up on a record longer than maxRecordBytes, and reads the next line afresh', async () => {
    const open = '1,a,"stray quote\n' + 'x\n'.repeat(20)
    const { rows, errors, stage } = await run(open + '2,b,ok,2\n', { maxRecordBytes: 30 })
    expect(errors.map(e => [e.r.reason, e.r.line])[0]).toEqual(['bad-quote', 1])
    expect(errors[0]!.r.detail).toMatch(/maxRecordBytes \(30\)/)
    expect(errors.slice(1).every(e => e.r.reason === 'field-count' && e.r.raw === 'x')).toBe(true)
    // The record took the lines up to the bound; the ones after it are read as lines again.
    expect(rows.map(r => r.ts)).toEqual([2])
    expect(stage.stats.reasons).toEqual({ 'bad-quote': 1, 'field-count': stage.stats.malformed - 1 })
    expect(stage.stats.lines + stage.multiline.lines).toBe(22)
  })

  it('rejects a record when the framer dropped one of its lines (too long), and goes on after it', async () => {
    const { rows, errors, framer } = await run(`1,a,"x\n${'y'.repeat(100)}\n2,b,ok,2\n`, {}, [], 50)
    expect(framer.stats.tooLong).toBe(1)
    expect(errors.map(e => [e.r.reason, e.r.line])).toEqual([['bad-quote', 1]])
    expect(errors[0]!.r.detail).toMatch(/line 2, inside a quoted field, was dropped/)
    expect(rows.map(r => r.ts)).toEqual([2])
  })

  it('without quotedNewlines (the default) a line ending inside a quoted field is rejected alone', async () => {
    const { rows, errors, stage } = await run('1,a,"x\ny",2\n3,c,z,3\n', { quotedNewlines: false })
    expect(errors.map(e => [e.r.reason, e.r.line])).toEqual([['bad-quote', 1], ['bad-time', 2]])
    expect(rows.map(r => r.ts)).toEqual([3])
    expect(stage.multiline).toEqual({ records: 0, lines: 0 })
  })

  it('throws TypeErrors naming quotedNewlines and maxRecordBytes', () => {
    expect(() => parseCsv({ columns: COLUMNS, quotedNewlines: 'yes' as unknown as boolean })).toThrow(/"quotedNewlines"/)
    expect(() => parseCsv({ columns: COLUMNS, maxRecordBytes: 0 })).toThrow(/"maxRecordBytes"/)
  })

  it('reads back every record an RFC 4180 writer writes, at any chunk boundaries (property)', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\n', '\r\n', ' ', '😀', ';'), minLength: 1, maxLength: 12 })
    const record = fc.record({ ts: fc.nat({ max: 1e12 }), sensor: text, note: text, value: fc.double({ noNaN: true, noDefaultInfinity: true }) })
    await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), async (recs, cutSeeds) => {
      // The writer quotes as RFC 4180 says; the reader reads line breaks inside fields as LF.
      const csv = recs.map(r => [String(r.ts), quote(r.sensor), quote(r.note), String(r.value)].join(',') + '\r\n').join('')
      const bytes = Buffer.from(csv, 'utf8')
      const { rows, errors, stage, framer } = await run(bytes, {}, cutSeeds.map(c => c % (bytes.length + 1)))
      const lf = (s: string): string => s.replace(/\r\n/g, '\n')
      expect(errors.map(e => e.r.detail)).toEqual([])
      expect(rows).toEqual(recs.map(r => ({ ts: r.ts, sensor: lf(r.sensor), note: lf(r.note), value: Object.is(r.value, -0) ? 0 : r.value })))
      expect(framer.stats.lines).toBe(stage.stats.lines + stage.multiline.lines)
    }), { numRuns: 300 })
  })
})
