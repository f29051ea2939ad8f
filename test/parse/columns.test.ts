import { describe, expect, it } from 'vitest'
import { parseColumns, parseFloatStrict, parseIntStrict, parseIsoTime } from '../../src/index.js'

describe('parseColumns()', () => {
  it('reads name:type entries, a bare name being a string', () => {
    expect(parseColumns('ts:time,sensor,value:float,n:int,ok:bool,t2:time:s')).toEqual([
      { name: 'ts', type: 'time', optional: false },
      { name: 'sensor', type: 'string', optional: false },
      { name: 'value', type: 'float', optional: false },
      { name: 'n', type: 'int', optional: false },
      { name: 'ok', type: 'bool', optional: false },
      { name: 't2', type: 'time:s', optional: false }
    ])
  })

  it('reads a trailing ? as optional, time:ms as time, and trims spaces', () => {
    expect(parseColumns(' a:float? , b:time:ms ,c:time:s?')).toEqual([
      { name: 'a', type: 'float', optional: true },
      { name: 'b', type: 'time', optional: false },
      { name: 'c', type: 'time:s', optional: true }
    ])
  })

  it('accepts an array of entries or Column objects', () => {
    expect(parseColumns(['a:int', { name: 'b', type: 'float', optional: true }])).toEqual([
      { name: 'a', type: 'int', optional: false },
      { name: 'b', type: 'float', optional: true }
    ])
  })

  it('throws a TypeError naming the option for bad specs', () => {
    expect(() => parseColumns('a:weird')).toThrow(TypeError)
    expect(() => parseColumns('a:weird')).toThrow(/"columns".*"weird"/)
    expect(() => parseColumns('')).toThrow(/"columns"/)
    expect(() => parseColumns(',,')).toThrow(/"columns"/)
    expect(() => parseColumns(':float')).toThrow(/"columns": empty column name/)
    expect(() => parseColumns('a,a:int')).toThrow(/named twice/)
    expect(() => parseColumns('__proto__:int')).toThrow(/__proto__/)
    expect(() => parseColumns([{ name: 'a', type: 'weird' } as never])).toThrow(TypeError)
    expect(() => parseColumns([42 as never])).toThrow(TypeError)
    expect(() => parseColumns('a:weird', 'keys')).toThrow(/"keys"/)
  })
})

describe('parseFloatStrict()', () => {
  it('parses a slice of a longer string', () => {
    expect(parseFloatStrict('x,23.5,y', 2, 6)).toBe(23.5)
    expect(parseFloatStrict('x,2.5e1,y', 2, 7)).toBe(25)
    expect(parseFloatStrict('x,23.123456789012345678,y', 2, 23)).toBe(Number('23.123456789012345678'))
  })

  it('stops at the slice end: a valid prefix followed by garbage in the slice is NaN', () => {
    expect(parseFloatStrict('1.5x', 0, 4)).toBeNaN()
    expect(parseFloatStrict('1.5x', 0, 3)).toBe(1.5)
    expect(parseFloatStrict('1e5', 0, 2)).toBeNaN()
  })

  it('gives what Number() gives, signed zeros included', () => {
    for (const text of ['0', '-0', '+0', '-0.00', '0.', '-.0', '7', '-7', '23.51', '-23.51', '.5', '5.', '+1.25',
      '999999999999999', '-999999999999999', '123456789012.345', '4294967296', '-2147483649', '0.000000000000001']) {
      expect(Object.is(parseFloatStrict(text), Number(text)), text).toBe(true)
    }
  })
})

describe('parseIntStrict()', () => {
  it('parses safe integers in a slice, NaN otherwise', () => {
    expect(parseIntStrict('a=-12;', 2, 5)).toBe(-12)
    expect(parseIntStrict('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER)
    expect(parseIntStrict('9007199254740992')).toBeNaN()
    expect(parseIntStrict('')).toBeNaN()
    expect(parseIntStrict('1.0')).toBeNaN()
  })
})

describe('parseIsoTime()', () => {
  it('reads ISO 8601 as epoch ms, no zone meaning UTC', () => {
    expect(parseIsoTime('2024-03-10T12:34:56.789Z')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 789))
    expect(parseIsoTime('2024-03-10T12:34:56.789')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 789))
    expect(parseIsoTime('2024-03-10T12:34:56,5Z')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 500))
    expect(parseIsoTime('2024-03-10T12:34:56.123456789Z')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 123))
    expect(parseIsoTime('2024-03-10T14:34:56+02:00')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56))
  })

  it('gives NaN for anything else', () => {
    for (const s of ['', '2024', '2024-03', 'March 10, 2024', '2024-03-10T', '2024-03-10T1:00', '1700000000000', '2024-03-10Z']) {
      expect(parseIsoTime(s), s).toBeNaN()
    }
  })
})
