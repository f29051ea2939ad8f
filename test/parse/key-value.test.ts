import { describe, expect, it } from 'vitest'
import { parseKeyValue, type ParseKeyValueOptions, type Rejection, type SensorRecord } from '../../src/index.js'
import { collect, fromItems, lineBatch, rowsOf, stageContract } from '../helpers.js'

async function parse (ls: string[], options: ParseKeyValueOptions = {}): Promise<{ rows: SensorRecord[], errors: Rejection[], stage: ReturnType<typeof parseKeyValue> }> {
  const errors: Rejection[] = []
  const stage = parseKeyValue({ onError: r => errors.push(r), ...options })
  const rows = rowsOf(await collect(stage(fromItems([lineBatch(ls)]))))
  return { rows, errors, stage }
}

describe('parseKeyValue()', () => {
  it('reads key=value pairs separated by spaces', async () => {
    expect((await parse(['temp=21.5 hum=40'])).rows).toEqual([{ temp: 21.5, hum: 40 }])
  })

  it('reads the serial-plotter style key:value,key:value', async () => {
    expect((await parse(['temp:21.5,hum:40'])).rows).toEqual([{ temp: 21.5, hum: 40 }])
  })

  it('accepts tabs, mixed and repeated separators', async () => {
    expect((await parse(['temp=21.5\thum=40', '  temp=1 ,\t hum:2 '])).rows).toEqual([{ temp: 21.5, hum: 40 }, { temp: 1, hum: 2 }])
  })

  it('keeps strict numbers as numbers and everything else as strings', async () => {
    const { rows } = await parse(['unit=C n=-.5 big=1e3 hex=0x1A nan=NaN empty= t=12:30 eq=a=b'])
    expect(rows).toEqual([{ unit: 'C', n: -0.5, big: 1000, hex: '0x1A', nan: 'NaN', empty: '', t: '12:30', eq: 'a=b' }])
  })

  it('converts typed keys and rejects values that do not fit', async () => {
    const { rows, errors } = await parse(['temp=21 unit=C ts=1700000000', 'temp=x unit=C ts=1'], { columns: 'temp:float,unit:string,ts:time:s' })
    expect(rows).toEqual([{ temp: 21, unit: 'C', ts: 1700000000000 }])
    expect(errors.map(e => [e.reason, e.line])).toEqual([['bad-float', 2]])
    expect(errors[0]!.detail).toContain('"temp"')
  })

  it('rejects a line missing a typed key, or sets null when the key is optional', async () => {
    const { rows, errors } = await parse(['unit=C', 'temp=1'], { columns: 'temp:float,hum:float?' })
    expect(errors.map(e => [e.reason, e.line, e.raw])).toEqual([['missing-key', 1, 'unit=C']])
    expect(rows).toEqual([{ temp: 1, hum: null }])
  })

  // Regression test, the bug is fixed (was: src/parse/key-value.ts: `if (!(col.name in rec))` also sees Object.prototype): a typed
  // key named like a prototype member (constructor, toString, valueOf...) is never missing.
  it('a missing typed key named "constructor" is rejected like any other', async () => {
    const { errors } = await parse(['a=1'], { columns: 'constructor:float' })
    expect(errors.map(e => e.reason)).toEqual(['missing-key'])
  })

  it('a missing optional typed key named "toString" is set to null', async () => {
    const { rows } = await parse(['a=1'], { columns: 'toString:float?' })
    expect(Object.prototype.hasOwnProperty.call(rows[0], 'toString')).toBe(true)
  })

  it('rejects a bare value, an empty key, a repeated key and an empty line', async () => {
    const { rows, errors, stage } = await parse(['temp=1 hello', '=5', 'a=1 a=2', '', ' , ', 'ok=1'])
    expect(errors.map(e => e.reason)).toEqual(['bare-value', 'empty-key', 'repeated-key', 'empty', 'empty'])
    expect(errors.map(e => e.line)).toEqual([1, 2, 3, 4, 5])
    expect(rows).toEqual([{ ok: 1 }])
    expect(stage.stats).toEqual({ lines: 6, parsed: 1, malformed: 5, reasons: { 'bare-value': 1, 'empty-key': 1, 'repeated-key': 1, empty: 2 } })
  })

  it('keeps __proto__=1 as an own field and does not change the prototype', async () => {
    const { rows } = await parse(['__proto__=1 x=2', '__proto__=polluted'])
    expect(rows).toHaveLength(2)
    const [a, b] = rows as [SensorRecord, SensorRecord]
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(a, '__proto__')?.value).toBe(1)
    expect(a.x).toBe(2)
    expect(Object.getOwnPropertyDescriptor(b, '__proto__')?.value).toBe('polluted')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('reads constructor=5 as an ordinary own field', async () => {
    const { rows } = await parse(['constructor=5'])
    expect(Object.getOwnPropertyDescriptor(rows[0], 'constructor')?.value).toBe(5)
  })

  it('throws TypeErrors naming the option at build time', () => {
    expect(() => parseKeyValue({ columns: 'a:weird' })).toThrow(/"columns"/)
    expect(() => parseKeyValue({ onError: 'nope' as 'skip' })).toThrow(/"onError"/)
  })
})

describe('parseKeyValue(): stage contract', () => {
  stageContract(() => parseKeyValue(), i => lineBatch([`i=${i} temp=2${i}`], i + 1))
})
