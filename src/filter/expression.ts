import { ExpressionError } from '../errors.js'
import type { SensorRecord } from '../types.js'

/**
 * The `--where` language, compiled to a tree of closures (never `eval` or `new Function`).
 *
 *   expr    := or
 *   or      := and ('||' and)*
 *   and     := not ('&&' not)*
 *   not     := '!' not | compare
 *   compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | string | true | false | null | field | '(' expr ')'
 *   field   := name ('.' name)* | `quoted name`
 *
 * Semantics are strict: `==` / `!=` compare without coercion; `<` and friends are true only
 * between two numbers or two strings; arithmetic on anything but numbers gives NaN (and every
 * comparison with NaN is false); a missing field is `undefined`. `&&`, `||` and `!` work on truth
 * values (`0`, `''`, `null`, `undefined`, `NaN` and `false` are false).
 */
export type Evaluator = (record: SensorRecord) => unknown

/** The fields an expression reads (top-level names), and its compiled form. */
export interface CompiledExpression {
  evaluate: Evaluator
  fields: string[]
  source: string
}

type Tok =
  | { kind: 'num', value: number, col: number }
  | { kind: 'str', value: string, col: number }
  | { kind: 'name', value: string, col: number }
  | { kind: 'op', value: string, col: number }
  | { kind: 'end', col: number }

const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '.']

function tokenize (src: string): Tok[] {
  const toks: Tok[] = []
  let i = 0
  while (i < src.length) {
    const ch = src[i]!
    const col = i + 1
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') { i++; continue }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i))!
      if (/[A-Za-z_]/.test(src[i + m[0].length] ?? '')) throw new ExpressionError('bad number', src, col)
      toks.push({ kind: 'num', value: Number(m[0]), col })
      i += m[0].length
      continue
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1
      let s = ''
      for (;;) {
        if (j >= src.length) throw new ExpressionError('unterminated string', src, col)
        const c = src[j]!
        if (c === '\\') {
          const e = src[j + 1]
          if (e === undefined) throw new ExpressionError('unterminated string', src, col)
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e
          j += 2
          continue
        }
        if (c === ch) break
        s += c
        j++
      }
      toks.push({ kind: 'str', value: s, col })
      i = j + 1
      continue
    }
    if (ch === '`') {
      const j = src.indexOf('`', i + 1)
      if (j < 0) throw new ExpressionError('unterminated `quoted name`', src, col)
      if (j === i + 1) throw new ExpressionError('empty `quoted name`', src, col)
      toks.push({ kind: 'name', value: src.slice(i + 1, j), col })
      i = j + 1
      continue
    }
    if (/[A-Za-z_$]/.test(ch)) {
      // Other names (with '-', spaces, ...) are written in backquotes: `dev-07`.
      const name = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))![0]
      toks.push({ kind: 'name', value: name, col })
      i += name.length
      continue
    }
    const op = OPS.find(o => src.startsWith(o, i))
    if (op === undefined) {
      const hint = ch === '=' ? " (use '==' to compare)" : ch === '&' ? " (use '&&')" : ch === '|' ? " (use '||')" : ''
      throw new ExpressionError(`unexpected character '${ch}'${hint}`, src, col)
    }
    toks.push({ kind: 'op', value: op, col })
    i += op.length
  }
  toks.push({ kind: 'end', col: src.length + 1 })
  return toks
}

const truthy = (v: unknown): boolean => v !== false && v !== 0 && v !== '' && v != null && v === v

/**
 * Compiles a `--where` expression. Throws {@link ExpressionError} (with the 1-based column and a
 * caret under it) when it does not parse.
 *
 * @example
 * ```ts
 * const { evaluate } = compileExpression('value >= -40 && value <= 125')
 * evaluate({ value: 21 }) // true
 * ```
 */
export function compileExpression (source: string): CompiledExpression {
  if (typeof source !== 'string') throw new TypeError('an expression must be a string')
  if (source.trim() === '') throw new ExpressionError('empty expression', source, 1)
  const toks = tokenize(source)
  let p = 0
  const fields = new Set<string>()
  const peek = (): Tok => toks[p]!
  const isOp = (v: string): boolean => { const t = toks[p]!; return t.kind === 'op' && t.value === v }
  const fail = (msg: string, t: Tok = peek()): never => { throw new ExpressionError(msg, source, t.col) }
  const describeTok = (t: Tok): string => t.kind === 'end' ? 'end of expression' : t.kind === 'str' ? 'a string' : t.kind === 'num' ? 'a number' : `'${t.value}'`

  const parseOr = (): Evaluator => {
    let left = parseAnd()
    while (isOp('||')) { p++; const l = left; const r = parseAnd(); left = rec => truthy(l(rec)) || truthy(r(rec)) }
    return left
  }
  const parseAnd = (): Evaluator => {
    let left = parseNot()
    while (isOp('&&')) { p++; const l = left; const r = parseNot(); left = rec => truthy(l(rec)) && truthy(r(rec)) }
    return left
  }
  const parseNot = (): Evaluator => {
    if (isOp('!')) { p++; const e = parseNot(); return rec => !truthy(e(rec)) }
    return parseCompare()
  }
  const parseCompare = (): Evaluator => {
    const l = parseSum()
    const t = peek()
    if (t.kind !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(t.value)) return l
    p++
    const r = parseSum()
    const after = peek()
    if (after.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(after.value)) {
      fail(`comparisons cannot be chained; use && (as in 'a < b && b < c')`, after)
    }
    return comparison(t.value, l, r)
  }
  const parseSum = (): Evaluator => {
    let left = parseProduct()
    for (;;) {
      if (isOp('+')) { p++; const l = left; const r = parseProduct(); left = rec => add(l(rec), r(rec)) } else if (isOp('-')) { p++; const l = left; const r = parseProduct(); left = rec => num(l(rec)) - num(r(rec)) } else return left
    }
  }
  const parseProduct = (): Evaluator => {
    let left = parseUnary()
    for (;;) {
      const t = peek()
      if (t.kind !== 'op' || (t.value !== '*' && t.value !== '/' && t.value !== '%')) return left
      p++
      const l = left
      const r = parseUnary()
      left = t.value === '*' ? rec => num(l(rec)) * num(r(rec)) : t.value === '/' ? rec => num(l(rec)) / num(r(rec)) : rec => num(l(rec)) % num(r(rec))
    }
  }
  const parseUnary = (): Evaluator => {
    if (isOp('-')) {
      p++
      const t = peek()
      if (t.kind === 'num') { p++; const v = -t.value; return () => v }
      const e = parseUnary()
      return rec => -num(e(rec))
    }
    return parsePrimary()
  }
  const parsePrimary = (): Evaluator => {
    const t = peek()
    if (t.kind === 'num' || t.kind === 'str') { p++; const v = t.value; return () => v }
    if (t.kind === 'name') {
      p++
      if (t.value === 'true') return () => true
      if (t.value === 'false') return () => false
      if (t.value === 'null') return () => null
      const path = [t.value]
      while (isOp('.')) {
        p++
        const n = peek()
        if (n.kind !== 'name') fail(`expected a field name after '.', got ${describeTok(n)}`, n)
        path.push((n as { value: string }).value)
        p++
      }
      fields.add(path[0]!)
      return fieldReader(path)
    }
    if (isOp('(')) {
      p++
      const e = parseOr()
      if (!isOp(')')) fail(`expected ')' to close the '(' at column ${t.col}, got ${describeTok(peek())}`)
      p++
      return e
    }
    return fail(`expected a value, a field or '(', got ${describeTok(t)}`)
  }

  const evaluate = parseOr()
  if (peek().kind !== 'end') fail(`unexpected ${describeTok(peek())}`)
  return { evaluate, fields: [...fields], source }
}

function fieldReader (path: string[]): Evaluator {
  const [a, b, c] = path
  if (path.length === 1) return rec => own(rec, a!)
  if (path.length === 2) return rec => { const x = own(rec, a!); return x !== null && typeof x === 'object' ? own(x as SensorRecord, b!) : undefined }
  if (path.length === 3) {
    return rec => {
      const x = own(rec, a!)
      const y = x !== null && typeof x === 'object' ? own(x as SensorRecord, b!) : undefined
      return y !== null && typeof y === 'object' ? own(y as SensorRecord, c!) : undefined
    }
  }
  return rec => {
    let x: unknown = rec
    for (const k of path) { if (x === null || typeof x !== 'object') return undefined; x = own(x as SensorRecord, k) }
    return x
  }
}

// Only a record's own fields: `constructor` or `__proto__` must not reach the prototype.
// Object.prototype holds no primitive values, so a primitive read is always an own field.
function own (rec: SensorRecord, key: string): unknown {
  const v = rec[key]
  if (typeof v !== 'object' && typeof v !== 'function') return v
  return v !== null && !Object.prototype.hasOwnProperty.call(rec, key) ? undefined : v
}

const num = (v: unknown): number => typeof v === 'number' ? v : NaN
const add = (a: unknown, b: unknown): unknown => typeof a === 'string' && typeof b === 'string' ? a + b : num(a) + num(b)

function comparison (op: string, l: Evaluator, r: Evaluator): Evaluator {
  switch (op) {
    case '==': return rec => l(rec) === r(rec)
    case '!=': return rec => l(rec) !== r(rec)
    case '<': return rec => { const a = l(rec); const b = r(rec); return typeof a === typeof b && (typeof a === 'number' || typeof a === 'string') && (a as number) < (b as number) }
    case '<=': return rec => { const a = l(rec); const b = r(rec); return typeof a === typeof b && (typeof a === 'number' || typeof a === 'string') && (a as number) <= (b as number) }
    case '>': return rec => { const a = l(rec); const b = r(rec); return typeof a === typeof b && (typeof a === 'number' || typeof a === 'string') && (a as number) > (b as number) }
    default: return rec => { const a = l(rec); const b = r(rec); return typeof a === typeof b && (typeof a === 'number' || typeof a === 'string') && (a as number) >= (b as number) }
  }
}
