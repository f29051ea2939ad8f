import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineBatch, lines, parseCsv, type ParseCsvOptions, RecordBatch, RejectedInputError, type Rejection, type SensorRecord } from '../../src/index.js'
import { collect, fromItems, lineBatch, rowsOf, stageContract } from '../helpers.js'

async function parse (input: string[] | string[][], options: ParseCsvOptions): Promise<{ rows: SensorRecord[], errors: Rejection[], stage: ReturnType<typeof parseCsv>, batches: RecordBatch[] }> {
  const errors: Rejection[] = []
  const stage = parseCsv({ onError: r => errors.push(r), ...options })
  const batches = (input.length > 0 && Array.isArray(input[0])) ? (input as string[][]) : [input as string[]]
  const out = await collect(stage(fromItems(batches.map(b => lineBatch(b)))))
  return { rows: rowsOf(out), errors, stage, batches: out }
}

/** The value one field parses to under a one-column `v:TYPE` schema, or the rejection reason. */
async function one (type: string, field: string): Promise<unknown> {
  const { rows, errors } = await parse([field], { columns: `v:${type}` })
  if (errors.length > 0) return { rejected: errors[0]!.reason }
  expect(rows).toHaveLength(1)
  return rows[0]!.v
}

const READING = 'ts:time,sensor:string,value:float'

describe('parseCsv(): values', () => {
  it('parses typed columns into records', async () => {
    const { rows, stage } = await parse(['1700000000000,dev-07,23.51', '1700000000001,dev 8,-4'], { columns: READING })
    expect(rows).toEqual([
      { ts: 1700000000000, sensor: 'dev-07', value: 23.51 },
      { ts: 1700000000001, sensor: 'dev 8', value: -4 }
    ])
    expect(stage.stats).toEqual({ lines: 2, parsed: 2, malformed: 0, reasons: {} })
  })

  it('yields columnar batches with numbers unboxed', async () => {
    const { batches } = await parse(['1,a,2.5', '2,b,3.5'], { columns: READING })
    expect(batches).toHaveLength(1)
    const b = batches[0]!
    expect(b.columnar).toBe(true)
    expect([...b.numbers('value')!]).toEqual([2.5, 3.5])
    expect([...b.numbers('ts')!]).toEqual([1, 2])
    expect(b.numbers('sensor')).toBeUndefined()
    expect(b.row(1)).toEqual({ ts: 2, sensor: 'b', value: 3.5 })
  })

  it('accepts arrays of strings as well as LineBatches', async () => {
    const stage = parseCsv({ columns: 'a:int' })
    expect(rowsOf(await collect(stage(fromItems([['1', '2'], ['3']]))))).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }])
  })

  it('yields no batch for a batch whose lines are all rejected', async () => {
    const { batches, stage } = await parse([['x,y,z'], ['1,a,1']], { columns: READING })
    expect(batches).toHaveLength(1)
    expect(stage.stats).toMatchObject({ lines: 2, parsed: 1, malformed: 1 })
  })
})

describe('parseCsv(): column types, strictly', () => {
  it('int: optional sign, digits, safe integers only', async () => {
    expect(await one('int', '42')).toBe(42)
    expect(await one('int', '-7')).toBe(-7)
    expect(await one('int', '+7')).toBe(7)
    expect(await one('int', '0')).toBe(0)
    expect(await one('int', '9007199254740991')).toBe(9007199254740991)
    expect(await one('int', '-9007199254740991')).toBe(-9007199254740991)
    for (const bad of ['9007199254740992', '-9007199254740992', '99999999999999999999', '1.0', '1e3', ' 1', '1 ', '0x10', '1_000', '+', '-', '', 'one']) {
      expect(await one('int', bad), JSON.stringify(bad)).toEqual({ rejected: 'bad-int' })
    }
  })

  it('float: every accepted spelling', async () => {
    expect(await one('float', '23.51')).toBe(23.51)
    expect(await one('float', '+5')).toBe(5)
    expect(await one('float', '5.')).toBe(5)
    expect(await one('float', '.5')).toBe(0.5)
    expect(await one('float', '-.5')).toBe(-0.5)
    expect(await one('float', '2.5E+1')).toBe(25)
    expect(await one('float', '2.5e-1')).toBe(0.25)
    expect(await one('float', '1E3')).toBe(1000)
    expect(Object.is(await one('float', '-0'), -0)).toBe(true)
    expect(await one('float', '1e-400')).toBe(0)
    expect(await one('float', '0.1')).toBe(0.1)
    expect(await one('float', '-40')).toBe(-40)
    expect(await one('float', '125.000')).toBe(125)
    expect(await one('float', '007')).toBe(7)
  })

  it('float: long mantissas round like Number()', async () => {
    for (const s of ['23.123456789012345678', '0.30000000000000004', '123456789012345.67', '9007199254740993', '12345678901234567890', '0.000000000000000000001234', '1.7976931348623157e308', '4.9e-324']) {
      expect(await one('float', s), s).toBe(Number(s))
    }
  })

  it('float: short decimals are correctly rounded (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[+-]?[0-9]{1,17}(\.[0-9]{0,17})?$/), async s => {
      expect(await one('float', s)).toBe(Number(s))
    }), { numRuns: 300 })
  })

  it('float: rejects everything else', async () => {
    for (const bad of ['NaN', 'nan', 'inf', 'Infinity', '-Infinity', '0x1A', '23.5x', ' 23.5', '23.5 ', '1_000', '1e999', '-1e999', '', '.', '+', '-', 'e5', '1e', '1e+', '1.2.3', '１', '+-1', '--1']) {
      expect(await one('float', bad), JSON.stringify(bad)).toEqual({ rejected: 'bad-float' })
    }
  })

  it('string: any non-empty text, untrimmed', async () => {
    expect(await one('string', 'dev-07')).toBe('dev-07')
    expect(await one('string', ' spaced ')).toBe(' spaced ')
    expect(await one('string', 'ümlaut €')).toBe('ümlaut €')
    expect(await one('string', 'a"b')).toBe('a"b')
    expect(await one('string', '')).toEqual({ rejected: 'empty-string' })
  })

  it('bool: true/false, 1/0, yes/no and their capitalised forms', async () => {
    const ok: Array<[string, boolean]> = [['true', true], ['false', false], ['1', true], ['0', false], ['yes', true], ['no', false], ['TRUE', true], ['True', true], ['FALSE', false], ['False', false]]
    for (const [s, v] of ok) expect(await one('bool', s), s).toBe(v)
    for (const bad of ['tRue', 'maybe', '2', 'y', '', ' true', 'constructor', 'toString']) {
      expect(await one('bool', bad), JSON.stringify(bad)).toEqual({ rejected: 'bad-bool' })
    }
  })

  it('time: 1 to 15 digits are epoch milliseconds', async () => {
    expect(await one('time', '0')).toBe(0)
    expect(await one('time', '1700000000000')).toBe(1700000000000)
    expect(await one('time', '123456789012345')).toBe(123456789012345)
    for (const bad of ['1234567890123456', '-1', '+1', '1.5', ' 1', '1e3', '', 'yesterday']) {
      expect(await one('time', bad), JSON.stringify(bad)).toEqual({ rejected: 'bad-time' })
    }
  })

  it('time: ISO 8601, with a zone or without one (UTC)', async () => {
    const jan1 = Date.UTC(2024, 0, 1)
    expect(await one('time', '2024-01-01T00:00:00Z')).toBe(jan1)
    expect(await one('time', '2024-01-01T00:00:00')).toBe(jan1)
    expect(await one('time', '2024-01-01 00:00:00')).toBe(jan1)
    expect(await one('time', '2024-01-01T00:00')).toBe(jan1)
    expect(await one('time', '2024-01-01')).toBe(jan1)
    expect(await one('time', '2024-01-01T00:00:00.250Z')).toBe(jan1 + 250)
    expect(await one('time', '2024-01-01T00:00:00.250')).toBe(jan1 + 250)
    expect(await one('time', '2024-01-01T02:30:00+02:30')).toBe(jan1)
    expect(await one('time', '2023-12-31T23:00:00-01:00')).toBe(jan1)
    expect(await one('time', '2024-01-01T01:00:00+0100')).toBe(jan1)
    for (const bad of ['2024-13-01T00:00:00Z', '2024-01-01T00:00:00Q', '2024/01/01', '01-01-2024', '2024-1-1', 'T00:00:00']) {
      expect(await one('time', bad), bad).toEqual({ rejected: 'bad-time' })
    }
  })

  // Regression test, the bug is fixed (was: src/parse/columns.ts, parseIsoTime): ISO_RE accepts an hour-only offset `+01`, but
  // Date.parse does not read it, so a valid ISO 8601 time is rejected.
  it('time accepts an ISO 8601 hour-only zone offset (+01)', async () => {
    expect(await one('time', '2024-01-01T01:00:00+01')).toBe(Date.UTC(2024, 0, 1))
  })

  // Regression test, the bug is fixed (was: src/parse/columns.ts, parseIsoTime): Date.parse rolls 2024-02-30 over to March 1st,
  // so a date that does not exist is accepted instead of rejected as bad-time.
  it('time rejects a calendar date that does not exist (2024-02-30)', async () => {
    expect(await one('time', '2024-02-30T00:00:00Z')).toEqual({ rejected: 'bad-time' })
  })

  it('time:s: epoch seconds (with a fraction) become milliseconds; ISO stays ISO', async () => {
    expect(await one('time:s', '1700000000')).toBe(1700000000000)
    expect(await one('time:s', '1700000000.5')).toBe(1700000000500)
    expect(await one('time:s', '1700000000.123')).toBe(1700000000123)
    expect(await one('time:s', '2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1))
    for (const bad of ['x', '', '-1', '1.', '1e3']) expect(await one('time:s', bad), bad).toEqual({ rejected: 'bad-time' })
  })

  it('time:ms is the same as time', async () => {
    expect(await one('time:ms', '1700000000000')).toBe(1700000000000)
  })

  it('a ? column reads an empty field as null, and still checks a non-empty one', async () => {
    expect(await one('float?', '')).toBeNull()
    expect(await one('float?', '1.5')).toBe(1.5)
    expect(await one('float?', 'x')).toEqual({ rejected: 'bad-float' })
    expect(await one('int?', '')).toBeNull()
    expect(await one('time?', '')).toBeNull()
    expect(await one('string?', '')).toBeNull()
    expect(await one('bool?', '')).toBeNull()
    const { rows } = await parse(['1,,', '2,a,3'], { columns: 'ts:time,s:string?,v:float?' })
    expect(rows).toEqual([{ ts: 1, s: null, v: null }, { ts: 2, s: 'a', v: 3 }])
  })
})

describe('parseCsv(): header', () => {
  it('names the columns from the first line, as strings, empty fields null', async () => {
    const { rows, stage } = await parse(['ts,sensor,value', '1,a,2.5', '2,,x'], { header: true })
    expect(rows).toEqual([{ ts: '1', sensor: 'a', value: '2.5' }, { ts: '2', sensor: null, value: 'x' }])
    // the header is a line received, not a record and not a rejection
    expect(stage.stats).toEqual({ lines: 3, parsed: 2, malformed: 0, reasons: {} })
  })

  it('types the named columns, wherever they are in the header', async () => {
    const { rows } = await parse(['sensor,value,ts', 'a,2.5,1000'], { header: true, columns: 'ts:time,value:float' })
    expect(rows).toEqual([{ sensor: 'a', value: 2.5, ts: 1000 }])
  })

  it('reads the header from the first non-empty batch only', async () => {
    const { rows } = await parse([[], ['a,b'], ['1,2'], ['a,b']], { header: true, columns: 'a:int,b:int' })
    expect(rows).toEqual([{ a: 1, b: 2 }])
  })

  it('rejects a header that lacks a typed column, names a column twice or is empty', async () => {
    for (const head of ['ts,sensor', 'a,a', 'a,,b', '__proto__,b']) {
      const { errors } = await parse([head], { header: true, columns: head.includes('ts') ? 'ts:time,value:float' : undefined })
      expect(errors.map(e => e.reason), head).toEqual(['bad-header'])
      expect(errors[0]!.line).toBe(1)
    }
  })

  // Regression test, the bug is fixed (was: src/parse/csv.ts, parseCsvStage: `continue` after a bad header leaves the for-await
  // iteration): the other lines of the header's batch vanish, neither parsed nor rejected nor counted.
  it('after a rejected header, the other lines of its batch are still counted', async () => {
    const { stage } = await parse(['ts,value', '1,2', '3,4'], { header: true, columns: 'x:float' })
    expect(stage.stats.lines).toBe(3)
    expect(stage.stats.parsed + stage.stats.malformed).toBe(3)
  })

  it('reads a quoted header', async () => {
    const { rows } = await parse(['"a,1",b', '1,2'], { header: true })
    expect(rows).toEqual([{ 'a,1': '1', b: '2' }])
  })
})

describe('parseCsv(): delimiters and quoting', () => {
  it('splits at a custom delimiter: semicolon', async () => {
    const { rows } = await parse(['1;a,b;2.5'], { columns: READING, delimiter: ';' })
    expect(rows).toEqual([{ ts: 1, sensor: 'a,b', value: 2.5 }])
  })

  it('splits at a custom delimiter: tab', async () => {
    const { rows, errors } = await parse(['1\ta b\t2.5', '1,a,2.5'], { columns: READING, delimiter: '\t' })
    expect(rows).toEqual([{ ts: 1, sensor: 'a b', value: 2.5 }])
    expect(errors.map(e => e.reason)).toEqual(['field-count'])
  })

  it('reads RFC 4180 quoted fields: embedded delimiters and doubled quotes', async () => {
    const { rows } = await parse(['1,"a,b",2.5', '2,"say ""hi""",3', '"3","x","4.5"', '4,"",5'], { columns: 'ts:time,sensor:string?,value:float' })
    expect(rows).toEqual([
      { ts: 1, sensor: 'a,b', value: 2.5 },
      { ts: 2, sensor: 'say "hi"', value: 3 },
      { ts: 3, sensor: 'x', value: 4.5 },
      { ts: 4, sensor: null, value: 5 }
    ])
  })

  it('quotes with a custom delimiter', async () => {
    const { rows } = await parse(['1;"a;b";2'], { columns: READING, delimiter: ';' })
    expect(rows).toEqual([{ ts: 1, sensor: 'a;b', value: 2 }])
  })

  it('keeps a quote in the middle of an unquoted field as data', async () => {
    const { rows } = await parse(['1,ab"c,2', '2,x",3', '3,a""b,4'], { columns: READING })
    expect(rows).toEqual([
      { ts: 1, sensor: 'ab"c', value: 2 },
      { ts: 2, sensor: 'x"', value: 3 },
      { ts: 3, sensor: 'a""b', value: 4 }
    ])
  })

  it('rejects an unterminated quoted field and text after a closing quote', async () => {
    const { rows, errors } = await parse(['1,"abc,2', '1,"a"b,2', '1,"a",2'], { columns: READING })
    expect(errors.map(e => [e.reason, e.line])).toEqual([['bad-quote', 1], ['bad-quote', 2]])
    expect(rows).toEqual([{ ts: 1, sensor: 'a', value: 2 }])
  })

  it('rejects a quoted line with the wrong number of fields, and a quoted field that fails its type', async () => {
    const { errors } = await parse(['1,"a"', '1,"a",2,3', '1,"a","x"'], { columns: READING })
    expect(errors.map(e => e.reason)).toEqual(['field-count', 'field-count', 'bad-float'])
  })
})

describe('parseCsv(): rejections', () => {
  it('rejects a wrong field count with reason field-count', async () => {
    const { rows, errors, stage } = await parse(['1,a', '1,a,2,3', '', '1,a,2'], { columns: READING })
    expect(rows).toEqual([{ ts: 1, sensor: 'a', value: 2 }])
    expect(errors.map(e => e.reason)).toEqual(['field-count', 'field-count', 'field-count'])
    expect(errors[0]!.detail).toBe('expected 3 fields, got 2')
    expect(errors[1]!.detail).toBe('expected 3 fields, got 4')
    expect(stage.stats.reasons).toEqual({ 'field-count': 3 })
  })

  it('hands each rejection to onError with stage, reason, detail, line and raw text', async () => {
    const { errors } = await parse(['1,a,2', '1,a,23.5x', 'x,a,1', '1,,1'], { columns: READING })
    expect(errors).toEqual([
      { stage: 'parseCsv', reason: 'bad-float', detail: expect.stringContaining('"23.5x"'), line: 2, raw: '1,a,23.5x' },
      { stage: 'parseCsv', reason: 'bad-time', detail: expect.stringContaining('"ts"'), line: 3, raw: 'x,a,1' },
      { stage: 'parseCsv', reason: 'empty-string', detail: expect.stringContaining('"sensor"'), line: 4, raw: '1,,1' }
    ])
  })

  it('takes line numbers from the LineBatches (as lines() numbers them)', async () => {
    const errors: Rejection[] = []
    const stage = parseCsv({ columns: READING, onError: r => errors.push(r) })
    await collect(stage(fromItems([lineBatch(['1,a,1', 'bad'], 1), lineBatch(['1,a,1', '1,a,1', 'bad'], 3)])))
    expect(errors.map(e => e.line)).toEqual([2, 5])
  })

  // Regression test, the bug is fixed (was: src/batch/line-batch.ts asLineBatch → LineBatch.of(batch) starts every array at line 1):
  // Rejection.line is documented as "the number of the line among the lines this stage received",
  // but with string[] batches (an accepted input type) the numbering restarts in every batch.
  // parseJson and parseKeyValue share it.
  it('with string[] batches, rejected lines are numbered across batches', async () => {
    const errors: Rejection[] = []
    const stage = parseCsv({ columns: READING, onError: r => errors.push(r) })
    await collect(stage(fromItems([['1,a,1', 'bad'], ['1,a,1', '1,a,1', 'bad']])))
    expect(errors.map(e => e.line)).toEqual([2, 5])
  })

  it('reports input line numbers after lines() dropped a too-long line', async () => {
    const errors: Rejection[] = []
    const framer = lines({ maxLineBytes: 12 })
    const parser = parseCsv({ columns: READING, onError: r => errors.push(r) })
    const input = '1,a,1\n1,aaaaaaaaaaaaaaaaaaaa,1\n1,a,x\r\n1,b,2\n1,c\n'
    const rows = rowsOf(await collect(parser(framer(fromItems([Buffer.from(input)])))))
    expect(rows).toEqual([{ ts: 1, sensor: 'a', value: 1 }, { ts: 1, sensor: 'b', value: 2 }])
    expect(errors.map(e => [e.reason, e.line, e.raw])).toEqual([['bad-float', 3, '1,a,x'], ['field-count', 5, '1,c']])
  })

  it("onError 'fail' throws RejectedInputError with the line number, and closes the source", async () => {
    let closed = false
    async function * src (): AsyncGenerator<LineBatch> {
      try {
        yield lineBatch(['1,a,1', '2,a,2'])
        yield lineBatch(['3,a,3', '4,a,oops'], 3)
        yield lineBatch(['5,a,5'], 5)
      } finally { closed = true }
    }
    const stage = parseCsv({ columns: READING, onError: 'fail' })
    const it = stage(src())[Symbol.asyncIterator]()
    expect((await it.next()).done).toBe(false)
    const err = await it.next().then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(RejectedInputError)
    expect(err).toMatchObject({ name: 'RejectedInputError', code: 'ERR_REJECTED_INPUT', line: 4, reason: 'bad-float' })
    expect((err as Error).message).toMatch(/^line 4: /)
    expect(closed).toBe(true)
  })

  it("onError 'skip' (the default) counts without calling anything", async () => {
    const stage = parseCsv({ columns: READING })
    const rows = rowsOf(await collect(stage(fromItems([['1,a,1', 'x', '2,b,y']]))))
    expect(rows).toHaveLength(1)
    expect(stage.stats).toEqual({ lines: 3, parsed: 1, malformed: 2, reasons: { 'field-count': 1, 'bad-float': 1 } })
  })

  it('an onError handler that throws rejects next() and the source is closed', async () => {
    let closed = false
    async function * src (): AsyncGenerator<string[]> { try { yield ['bad'] } finally { closed = true } }
    const boom = new Error('handler')
    await expect(collect(parseCsv({ columns: READING, onError: () => { throw boom } })(src()))).rejects.toBe(boom)
    expect(closed).toBe(true)
  })

  it('stats.lines equals parsed + malformed on random lines (property)', async () => {
    const tsField = fc.oneof(fc.stringMatching(/^[0-9]{1,16}$/), fc.string({ unit: fc.constantFrom(...'0123456789+. x'.split('')), maxLength: 6 }))
    const sensorField = fc.string({ unit: fc.constantFrom(...'ab -_é\t'.split('')), maxLength: 5 })
    const valueField = fc.oneof(
      fc.double({ noNaN: true }).map(String),
      fc.string({ unit: fc.constantFrom(...'0123456789.eE+-x _'.split('')), maxLength: 8 })
    )
    const goodShape = fc.tuple(tsField, sensorField, valueField).map(f => f.join(','))
    const anyShape = fc.array(fc.oneof(tsField, sensorField, valueField), { maxLength: 5 }).map(f => f.join(','))
    const line = fc.oneof(goodShape, anyShape)
    await fc.assert(fc.asyncProperty(fc.array(fc.array(line, { maxLength: 8 }), { maxLength: 4 }), async batches => {
      const stage = parseCsv({ columns: READING })
      const rows = rowsOf(await collect(stage(fromItems(batches))))
      const all = batches.flat()
      // Reference, from the column rules (no quotes can occur in these fields).
      const expected: SensorRecord[] = []
      for (const l of all) {
        const f = l.split(',')
        if (f.length !== 3) continue
        const [ts, sensor, value] = f as [string, string, string]
        if (!/^[0-9]{1,15}$/.test(ts) || sensor === '') continue
        if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(value) || !Number.isFinite(Number(value))) continue
        expected.push({ ts: Number(ts), sensor, value: Number(value) })
      }
      expect(rows).toEqual(expected)
      expect(stage.stats.lines).toBe(all.length)
      expect(stage.stats.parsed + stage.stats.malformed).toBe(stage.stats.lines)
      expect(stage.stats.parsed).toBe(expected.length)
      expect(Object.values(stage.stats.reasons).reduce((a, b) => a + b, 0)).toBe(stage.stats.malformed)
    }), { numRuns: 300 })
  })
})

describe('parseCsv(): options', () => {
  it('throws TypeErrors naming the option at build time', () => {
    expect(() => parseCsv({})).toThrow(TypeError)
    expect(() => parseCsv({})).toThrow(/"columns"/)
    expect(() => parseCsv()).toThrow(/"header: true"/)
    expect(() => parseCsv({ columns: 'a', delimiter: '""' })).toThrow(/"delimiter"/)
    for (const d of ['', ';;', '"', '\n', '\r', 1]) expect(() => parseCsv({ columns: 'a', delimiter: d as string }), JSON.stringify(d)).toThrow(/"delimiter"/)
    expect(() => parseCsv({ columns: 'a', header: 'yes' as unknown as boolean })).toThrow(/"header"/)
    expect(() => parseCsv({ columns: 'a:weird' })).toThrow(/"columns"/)
    expect(() => parseCsv({ columns: 'a', onError: 'ignore' as 'skip' })).toThrow(/"onError"/)
  })
})

describe('parseCsv(): stage contract', () => {
  stageContract(() => parseCsv({ columns: READING }), i => lineBatch([`${i},s,${i}.5`], i + 1))
})

describe('parseCsv(): RecordBatch', () => {
  it('gives plain records from columns by iteration, row(i) and toRows()', async () => {
    const { batches } = await parse(['1,a,1.5', '2,b,2.5'], { columns: READING })
    const b = batches[0]!
    expect([...b]).toEqual([{ ts: 1, sensor: 'a', value: 1.5 }, { ts: 2, sensor: 'b', value: 2.5 }])
    expect(b.values('sensor')).toEqual(['a', 'b'])
    expect(RecordBatch.fromRows([{ a: 1 }]).columnar).toBe(false)
  })
})
