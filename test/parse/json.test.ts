import { describe, expect, it } from 'vitest'
import { parseJson, RejectedInputError, type Rejection, type SensorRecord } from '../../src/index.js'
import { collect, fromItems, lineBatch, rowsOf, stageContract } from '../helpers.js'

async function parse (ls: string[]): Promise<{ rows: SensorRecord[], errors: Rejection[], stage: ReturnType<typeof parseJson> }> {
  const errors: Rejection[] = []
  const stage = parseJson({ onError: r => errors.push(r) })
  const rows = rowsOf(await collect(stage(fromItems([lineBatch(ls)]))))
  return { rows, errors, stage }
}

describe('parseJson()', () => {
  it('parses one JSON object per line', async () => {
    const { rows, stage } = await parse(['{"ts":1,"sensor":"a","value":2.5}', ' {"nested":{"x":[1,2]}} '])
    expect(rows).toEqual([{ ts: 1, sensor: 'a', value: 2.5 }, { nested: { x: [1, 2] } }])
    expect(stage.stats).toEqual({ lines: 2, parsed: 2, malformed: 0, reasons: {} })
  })

  it('yields row-backed batches', async () => {
    const stage = parseJson()
    const [batch] = await collect(stage(fromItems([['{"a":1}']])))
    expect(batch!.columnar).toBe(false)
    expect(batch!.row(0)).toEqual({ a: 1 })
  })

  it('rejects arrays, primitives and null as not-object', async () => {
    const { rows, errors } = await parse(['[1,2]', '1', '"s"', 'null', 'true', '{"ok":1}'])
    expect(rows).toEqual([{ ok: 1 }])
    expect(errors.map(e => [e.reason, e.line])).toEqual([['not-object', 1], ['not-object', 2], ['not-object', 3], ['not-object', 4], ['not-object', 5]])
    expect(errors[0]!.detail).toBe('expected a JSON object, got an array')
    expect(errors[3]!.detail).toBe('expected a JSON object, got null')
  })

  it('rejects invalid JSON as bad-json, with the raw line', async () => {
    const { errors } = await parse(['{bad', "{'a':1}", '{"a":1}x', 'NaN'])
    expect(errors.map(e => e.reason)).toEqual(['bad-json', 'bad-json', 'bad-json', 'bad-json'])
    expect(errors[0]).toMatchObject({ stage: 'parseJson', line: 1, raw: '{bad' })
  })

  it('rejects an empty or blank line as empty', async () => {
    const { errors, stage } = await parse(['', '   ', '\t'])
    expect(errors.map(e => e.reason)).toEqual(['empty', 'empty', 'empty'])
    expect(stage.stats).toEqual({ lines: 3, parsed: 0, malformed: 3, reasons: { empty: 3 } })
  })

  it('keeps a __proto__ key as an own field without changing the prototype', async () => {
    const { rows } = await parse(['{"__proto__":{"polluted":1},"a":1}'])
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('does not throw out of the stage on 100000 levels of nesting, and counts the lines', async () => {
    const depth = 100_000
    const arrays = '['.repeat(depth) + ']'.repeat(depth)
    const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
    const stage = parseJson()
    const rows = await collect(stage(fromItems([[arrays, objects, '{"ok":true}']])))
    expect(rows.length).toBeGreaterThanOrEqual(1)
    expect(stage.stats.lines).toBe(3)
    expect(stage.stats.parsed + stage.stats.malformed).toBe(3)
    // the array is never a record, whether too deep or not
    expect(stage.stats.malformed).toBeGreaterThanOrEqual(1)
  })

  it("onError 'fail' throws RejectedInputError with the line", async () => {
    const stage = parseJson({ onError: 'fail' })
    const err = await collect(stage(fromItems([lineBatch(['{}', '{}', '[]'], 7)]))).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(RejectedInputError)
    expect(err).toMatchObject({ line: 9, reason: 'not-object', code: 'ERR_REJECTED_INPUT' })
  })

  it('throws a TypeError naming onError at build time', () => {
    expect(() => parseJson({ onError: 'nope' as 'skip' })).toThrow(/"onError"/)
  })

  it('with string[] batches, rejected lines are numbered across batches', async () => {
    const errors: Rejection[] = []
    const stage = parseJson({ onError: r => errors.push(r) })
    await collect(stage(fromItems([['{}', 'x'], ['x']])))
    expect(errors.map(e => e.line)).toEqual([2, 3])
  })
})

describe('parseJson(): stage contract', () => {
  stageContract(() => parseJson(), i => lineBatch([JSON.stringify({ i })], i + 1))
})
