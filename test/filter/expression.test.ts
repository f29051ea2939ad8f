import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileExpression, ExpressionError, parseCsv, RecordBatch, type SensorRecord, SensorpipeError, where } from '../../src/index.js'
import { collect, fromItems, rowsOf } from '../helpers.js'

const ev = (src: string, rec: SensorRecord = {}): unknown => compileExpression(src).evaluate(rec)

function errorOf (src: string): ExpressionError {
  try {
    compileExpression(src)
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError)
    return err as ExpressionError
  }
  throw new Error(`expected ${JSON.stringify(src)} not to compile`)
}

describe('compileExpression(): values', () => {
  it('follows arithmetic precedence and associativity', () => {
    expect(ev('1 + 2 * 3 == 7')).toBe(true)
    expect(ev('(1 + 2) * 3 == 9')).toBe(true)
    expect(ev('2 * 3 + 1')).toBe(7)
    expect(ev('10 - 2 - 3')).toBe(5)
    expect(ev('8 / 4 / 2')).toBe(1)
    expect(ev('10 % 4 * 3')).toBe(6)
    expect(ev('-2 * 3')).toBe(-6)
    expect(ev('- -2')).toBe(2)
    expect(ev('-(1 + 2)')).toBe(-3)
    expect(ev('1.5e1 + .5')).toBe(15.5)
  })

  it('binds && tighter than ||, and ! looser than comparisons (as documented)', () => {
    expect(ev('true || false && false')).toBe(true)
    expect(ev('(true || false) && false')).toBe(false)
    expect(ev('!false && false')).toBe(false)
    expect(ev('!(1 == 2)')).toBe(true)
    // not := '!' not | compare, so `!1 == 2` is `!(1 == 2)`
    expect(ev('!1 == 2')).toBe(true)
    expect(ev('!!1')).toBe(true)
  })

  it('gives booleans from &&, || and ! on truth values', () => {
    expect(ev('0 || 2')).toBe(true)
    expect(ev('1 && 0')).toBe(false)
    expect(ev('"" || null')).toBe(false)
    expect(ev('"x" && 3')).toBe(true)
    expect(ev('!0')).toBe(true)
    expect(ev('!""')).toBe(true)
    expect(ev('!missing')).toBe(true)
    expect(ev('!(0 / 0)')).toBe(true)
  })

  it('short-circuits && and ||: the right side is not read when the left decides', () => {
    let reads = 0
    const rec = { a: 1, z: 0, get b (): number { reads++; return 1 } }
    expect(compileExpression('a || b').evaluate(rec)).toBe(true)
    expect(compileExpression('z && b').evaluate(rec)).toBe(false)
    expect(compileExpression('a > 0 || b > 0').evaluate(rec)).toBe(true)
    expect(reads).toBe(0)
    expect(compileExpression('a && b').evaluate(rec)).toBe(true)
    expect(compileExpression('z || b').evaluate(rec)).toBe(true)
    expect(reads).toBe(2)
  })

  it('reads strings with escapes, in double or single quotes', () => {
    expect(ev('"a\\"b"')).toBe('a"b')
    expect(ev("'it\\'s'")).toBe("it's")
    expect(ev('"tab\\there"')).toBe('tab\there')
    expect(ev('"l1\\nl2\\r"')).toBe('l1\nl2\r')
    expect(ev('"back\\\\slash"')).toBe('back\\slash')
    expect(ev('"a" + "b" == "ab"')).toBe(true)
    expect(ev('"it\'s" == \'it\\\'s\'')).toBe(true)
  })

  it('reads backquoted field names', () => {
    expect(ev('`dev-07` == 1', { 'dev-07': 1 })).toBe(true)
    expect(ev('`a b` + 1', { 'a b': 2 })).toBe(3)
    expect(compileExpression('`dev-07` > 0 && x').fields).toEqual(['dev-07', 'x'])
  })

  it('reads nested fields a.b.c, undefined when a step is missing or not an object', () => {
    expect(ev('a.b.c == 5', { a: { b: { c: 5 } } })).toBe(true)
    expect(ev('a.b.c == 5', { a: { b: 5 } })).toBe(false)
    expect(ev('a.b.c == 5', { a: null })).toBe(false)
    expect(ev('a.b.c == 5', { a: { b: { c: '5' } } })).toBe(false)
    expect(ev('a.b', { a: 'string' })).toBeUndefined()
    expect(ev('a.length', { a: 'abc' })).toBeUndefined()
    expect(compileExpression('a.b.c > 1 || d.e').fields).toEqual(['a', 'd'])
  })

  it('makes every comparison with a missing field false', () => {
    for (const op of ['<', '<=', '>', '>=', '==']) expect(ev(`missing ${op} 0`), op).toBe(false)
    expect(ev('missing != 0')).toBe(true)
    expect(ev('missing == null')).toBe(false)
    expect(ev('!(missing > 0)')).toBe(true)
  })

  it('compares strictly: no coercion between numbers, strings, booleans and null', () => {
    const rec = { value: 1, s: '1', t: true, n: null }
    expect(ev('value == "1"', rec)).toBe(false)
    expect(ev('value != "1"', rec)).toBe(true)
    expect(ev('s == 1', rec)).toBe(false)
    expect(ev('t == 1', rec)).toBe(false)
    expect(ev('t == true', rec)).toBe(true)
    expect(ev('n == null', rec)).toBe(true)
    expect(ev('n == 0', rec)).toBe(false)
    expect(ev('value < "2"', rec)).toBe(false)
    expect(ev('"2" > value', rec)).toBe(false)
    expect(ev('value >= s', rec)).toBe(false)
    expect(ev('t > 0', rec)).toBe(false)
  })

  it('orders two strings by code units and two numbers numerically', () => {
    expect(ev('"a" < "b"')).toBe(true)
    expect(ev('"B" < "a"')).toBe(true)
    expect(ev('"10" < "9"')).toBe(true)
    expect(ev('10 < 9')).toBe(false)
    expect(ev('s >= "dev-07"', { s: 'dev-08' })).toBe(true)
  })

  it('gives NaN for arithmetic on non-numbers, and NaN compares false', () => {
    expect(ev('"a" + 1')).toBeNaN()
    expect(ev('s * 2', { s: '3' })).toBeNaN()
    expect(ev('("a" + 1) == ("a" + 1)')).toBe(false)
    expect(ev('missing + 1 > 0')).toBe(false)
  })

  it('reads constructor, __proto__ and other prototype names as undefined', () => {
    expect(ev('constructor')).toBeUndefined()
    expect(ev('__proto__')).toBeUndefined()
    expect(ev('toString')).toBeUndefined()
    expect(ev('constructor.name')).toBeUndefined()
    expect(ev('a.constructor', { a: {} })).toBeUndefined()
    expect(ev('!constructor && !__proto__ && !hasOwnProperty')).toBe(true)
    // an own field of that name is read
    expect(ev('constructor == 5', JSON.parse('{"constructor":5}') as SensorRecord)).toBe(true)
    expect(ev('__proto__ == 5', JSON.parse('{"__proto__":5}') as SensorRecord)).toBe(true)
  })

  it('knows true, false and null as literals', () => {
    expect(ev('true')).toBe(true)
    expect(ev('false')).toBe(false)
    expect(ev('null')).toBeNull()
  })
})

describe('compileExpression(): errors', () => {
  it('points at the end of an incomplete expression, with a caret', () => {
    const e = errorOf('value >= ')
    expect(e.column).toBe(10)
    expect(e.code).toBe('ERR_EXPRESSION')
    expect(e.name).toBe('ExpressionError')
    expect(e.expression).toBe('value >= ')
    expect(e.message).toContain('at column 10')
    expect(e.message.endsWith('\n  value >= \n  ' + ' '.repeat(9) + '^')).toBe(true)
    expect(SensorpipeError.is(e)).toBe(true)
  })

  it("hints '==' for a single '='", () => {
    const e = errorOf('value = 3')
    expect(e.column).toBe(7)
    expect(e.message).toContain("'=='")
    expect(e.message.endsWith('\n  value = 3\n        ^')).toBe(true)
  })

  it("hints '&&' and '||' for single & and |", () => {
    expect(errorOf('a & b').message).toContain("'&&'")
    expect(errorOf('a | b').message).toContain("'||'")
    expect(errorOf('a | b').column).toBe(3)
  })

  it('refuses chained comparisons, pointing at the second operator', () => {
    const e = errorOf('a < b < c')
    expect(e.column).toBe(7)
    expect(e.message).toMatch(/cannot be chained/)
  })

  it('reports an unterminated string at its opening quote', () => {
    const e = errorOf('name == "abc')
    expect(e.column).toBe(9)
    expect(e.message).toMatch(/unterminated string/)
    expect(errorOf("name == 'abc\\'").column).toBe(9)
  })

  it("reports an unclosed '(' at the end", () => {
    const e = errorOf('(a')
    expect(e.column).toBe(3)
    expect(e.message).toContain("')'")
    expect(e.message).toContain('column 1')
  })

  it('reports other mistakes at their column', () => {
    expect(errorOf('a.').column).toBe(3)
    expect(errorOf('a b').column).toBe(3)
    expect(errorOf('1abc').column).toBe(1)
    expect(errorOf('`x').column).toBe(1)
    expect(errorOf('``').column).toBe(1)
    expect(errorOf('a ? b').column).toBe(3)
    expect(errorOf('a)').column).toBe(2)
    expect(errorOf('').column).toBe(1)
    expect(errorOf('   ').column).toBe(1)
  })

  it('throws a TypeError for a non-string', () => {
    expect(() => compileExpression(42 as unknown as string)).toThrow(TypeError)
  })
})

/** An expression tree, printed fully parenthesised and evaluated by the documented rules. */
type Ast =
  | { t: 'num', v: number } | { t: 'str', v: string } | { t: 'lit', v: boolean | null } | { t: 'field', name: string }
  | { t: 'not', e: Ast } | { t: 'neg', e: Ast } | { t: 'bin', op: string, l: Ast, r: Ast }

function print (a: Ast): string {
  switch (a.t) {
    case 'num': return a.v < 0 ? `(${a.v})` : String(a.v)
    case 'str': return JSON.stringify(a.v)
    case 'lit': return String(a.v)
    case 'field': return a.name
    case 'not': return `(!(${print(a.e)}))`
    case 'neg': return `-(${print(a.e)})`
    case 'bin': return `(${print(a.l)} ${a.op} ${print(a.r)})`
  }
}

const truthy = (v: unknown): boolean => v !== false && v !== 0 && v !== '' && v !== null && v !== undefined && !Number.isNaN(v)
const num = (v: unknown): number => typeof v === 'number' ? v : NaN

function reference (a: Ast, rec: SensorRecord): unknown {
  switch (a.t) {
    case 'num': case 'str': case 'lit': return a.v
    case 'field': return Object.prototype.hasOwnProperty.call(rec, a.name) ? rec[a.name] : undefined
    case 'not': return !truthy(reference(a.e, rec))
    case 'neg': return -num(reference(a.e, rec))
    case 'bin': {
      const l = reference(a.l, rec)
      const r = (): unknown => reference(a.r, rec)
      switch (a.op) {
        case '&&': return truthy(l) && truthy(r())
        case '||': return truthy(l) || truthy(r())
        case '==': return l === r()
        case '!=': return l !== r()
        case '+': { const b = r(); return typeof l === 'string' && typeof b === 'string' ? l + b : num(l) + num(b) }
        case '-': return num(l) - num(r())
        case '*': return num(l) * num(r())
        case '/': return num(l) / num(r())
        case '%': return num(l) % num(r())
        default: {
          const b = r()
          if (typeof l !== typeof b || (typeof l !== 'number' && typeof l !== 'string')) return false
          const x = l as number; const y = b as number
          return a.op === '<' ? x < y : a.op === '<=' ? x <= y : a.op === '>' ? x > y : x >= y
        }
      }
    }
  }
}

const FIELDS = ['a', 'b', 's', 'zz']
const astArb = fc.letrec<{ node: Ast }>(tie => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...[-2, -0.5, 0, 1, 2.5, 10].map(v => ({ t: 'num', v }) as Ast)),
    fc.constantFrom(...['', 'x', 'y', 'dev-1'].map(v => ({ t: 'str', v }) as Ast)),
    fc.constantFrom<Ast>({ t: 'lit', v: true }, { t: 'lit', v: false }, { t: 'lit', v: null }),
    fc.constantFrom(...FIELDS.map(name => ({ t: 'field', name }) as Ast)),
    fc.record({ t: fc.constant('not' as const), e: tie('node') }),
    fc.record({ t: fc.constant('neg' as const), e: tie('node') }),
    fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('&&', '||', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%'), l: tie('node'), r: tie('node') })
  )
})).node

const recordArb = fc.record({
  a: fc.oneof(fc.constantFrom(-2, -0.5, 0, 1, 2.5, 10), fc.integer({ min: -100, max: 100 })),
  b: fc.integer({ min: -3, max: 3 }),
  s: fc.constantFrom('x', 'y', 'dev-1', 'z')
})

describe('where(): the same on columnar and row batches', () => {
  it('keeps the same records from a parseCsv batch and a row batch, as the reference says (property)', async () => {
    await fc.assert(fc.asyncProperty(astArb, fc.array(recordArb, { minLength: 1, maxLength: 12 }), async (ast, recs) => {
      const src = print(ast)
      const csv = recs.map(r => `${r.a},${r.b},${r.s}`)
      const columnar = await collect(parseCsv({ columns: 'a:float,b:int,s:string' })(fromItems([csv])))
      expect(columnar[0]!.columnar).toBe(true)
      const fromColumns = rowsOf(await collect(where(src)(fromItems(columnar))))
      const fromRows = rowsOf(await collect(where(src)(fromItems([RecordBatch.fromRows(recs.map(r => ({ ...r })))]))))
      const expected = recs.filter(r => truthy(reference(ast, r)))
      expect(fromColumns, src).toEqual(expected)
      expect(fromRows, src).toEqual(expected)
      for (const r of recs) {
        const got = compileExpression(src).evaluate(r)
        const want = reference(ast, r)
        if (typeof want === 'number' && Number.isNaN(want)) expect(got).toBeNaN()
        else expect(got, src).toEqual(want)
      }
    }), { numRuns: 400 })
  })

  it('treats the hot column-against-number case like the general one, -0 and all', async () => {
    const csv = ['-0,0,x', '0,1,y', '125,2,x', '-40,3,x', '-40.01,4,x', '125.5,5,x']
    for (const src of ['a == 0', 'a != 0', 'a >= -40 && a <= 125', 'a < 0', 'a > -40', '0 == a', '-40 <= a']) {
      const columnar = await collect(parseCsv({ columns: 'a:float,b:int,s:string' })(fromItems([csv])))
      const rows = columnar[0]!.toRows().map(r => ({ ...r }))
      const fromColumns = rowsOf(await collect(where(src)(fromItems(columnar)))).map(r => r.b)
      const fromRows = rowsOf(await collect(where(src)(fromItems([rows])))).map(r => r.b)
      const expected = rows.filter(r => truthy(compileExpression(src).evaluate(r))).map(r => r.b)
      expect(fromColumns, src).toEqual(fromRows)
      expect(fromColumns, src).toEqual(expected)
    }
    expect(rowsOf(await collect(where('a >= -40 && a <= 125')(fromItems(await collect(parseCsv({ columns: 'a:float,b:int,s:string' })(fromItems([csv]))))))).map(r => r.b)).toEqual([0, 1, 2, 3])
  })
})
