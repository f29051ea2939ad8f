import { ExpressionError } from '../errors.js'
import { ownField, type RecordBatch } from '../batch/record-batch.js'
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

/** A compiled expression: evaluate it on a record, or bind it to a batch and test rows by index. */
export interface CompiledExpression {
  /** The value of the expression for one record. */
  evaluate: Evaluator
  /** A truth test of row i of `batch`; numeric columns are read unboxed. */
  bind: (batch: RecordBatch) => (i: number) => boolean
  /** The top-level fields it reads. */
  fields: string[]
  source: string
}

type Node =
  | { t: 'lit', v: unknown }
  | { t: 'field', path: string[] }
  | { t: 'not', e: Node }
  | { t: 'neg', e: Node }
  | { t: 'and' | 'or', l: Node, r: Node }
  | { t: 'cmp' | 'arith', op: string, l: Node, r: Node }

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
  const CMP = ['==', '!=', '<', '<=', '>', '>=']

  const parseOr = (): Node => {
    let l = parseAnd()
    while (isOp('||')) { p++; l = { t: 'or', l, r: parseAnd() } }
    return l
  }
  const parseAnd = (): Node => {
    let l = parseNot()
    while (isOp('&&')) { p++; l = { t: 'and', l, r: parseNot() } }
    return l
  }
  const parseNot = (): Node => {
    if (isOp('!')) { p++; return { t: 'not', e: parseNot() } }
    return parseCompare()
  }
  const parseCompare = (): Node => {
    const l = parseSum()
    const t = peek()
    if (t.kind !== 'op' || !CMP.includes(t.value)) return l
    p++
    const r = parseSum()
    const after = peek()
    if (after.kind === 'op' && CMP.includes(after.value)) fail('comparisons cannot be chained; use && (as in \'a < b && b < c\')', after)
    return { t: 'cmp', op: t.value, l, r }
  }
  const parseSum = (): Node => {
    let l = parseProduct()
    for (;;) {
      const t = peek()
      if (t.kind !== 'op' || (t.value !== '+' && t.value !== '-')) return l
      p++
      l = { t: 'arith', op: t.value, l, r: parseProduct() }
    }
  }
  const parseProduct = (): Node => {
    let l = parseUnary()
    for (;;) {
      const t = peek()
      if (t.kind !== 'op' || (t.value !== '*' && t.value !== '/' && t.value !== '%')) return l
      p++
      l = { t: 'arith', op: t.value, l, r: parseUnary() }
    }
  }
  const parseUnary = (): Node => {
    if (isOp('-')) {
      p++
      const t = peek()
      if (t.kind === 'num') { p++; return { t: 'lit', v: -t.value } }
      return { t: 'neg', e: parseUnary() }
    }
    return parsePrimary()
  }
  const parsePrimary = (): Node => {
    const t = peek()
    if (t.kind === 'num' || t.kind === 'str') { p++; return { t: 'lit', v: t.value } }
    if (t.kind === 'name') {
      p++
      if (t.value === 'true') return { t: 'lit', v: true }
      if (t.value === 'false') return { t: 'lit', v: false }
      if (t.value === 'null') return { t: 'lit', v: null }
      const path = [t.value]
      while (isOp('.')) {
        p++
        const n = peek()
        if (n.kind !== 'name') fail(`expected a field name after '.', got ${describeTok(n)}`, n)
        path.push((n as { value: string }).value)
        p++
      }
      fields.add(path[0]!)
      return { t: 'field', path }
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

  const ast = parseOr()
  if (peek().kind !== 'end') fail(`unexpected ${describeTok(peek())}`)

  const evaluate = build<SensorRecord>(ast, path => fieldOfRecord(path), () => undefined)
  const bind = (batch: RecordBatch): ((i: number) => boolean) => {
    const f = build<number>(ast, path => fieldOfBatch(batch, path), (path) => path.length === 1 ? batch.numbers(path[0]!) : undefined)
    return isBoolean(ast) ? f as (i: number) => boolean : i => truthy(f(i))
  }
  return { evaluate, bind, fields: [...fields], source }
}

// Nodes whose value is always a boolean (no truthiness conversion needed).
function isBoolean (n: Node): boolean {
  return n.t === 'cmp' || n.t === 'not' || n.t === 'and' || n.t === 'or'
}

/**
 * Builds closures for a node over an input X (a record, or a row index). `numbers` gives an
 * unboxed numeric column for a field when there is one, so `value >= -40` on a typed column is a
 * typed-array read and a compare, with no boxing.
 */
function build<X> (node: Node, field: (path: string[]) => (x: X) => unknown, numbers: (path: string[]) => Float64Array | undefined): (x: X) => unknown {
  const rec = (n: Node): (x: X) => unknown => build(n, field, numbers)
  switch (node.t) {
    case 'lit': { const v = node.v; return () => v }
    case 'field': return field(node.path)
    case 'not': { const e = rec(node.e); return isBoolean(node.e) ? x => !(e(x) as boolean) : x => !truthy(e(x)) }
    case 'neg': { const e = rec(node.e); return x => -num(e(x)) }
    case 'and': {
      const l = rec(node.l); const r = rec(node.r)
      if (isBoolean(node.l) && isBoolean(node.r)) return x => (l(x) as boolean) && (r(x) as boolean)
      return x => truthy(l(x)) && truthy(r(x))
    }
    case 'or': {
      const l = rec(node.l); const r = rec(node.r)
      if (isBoolean(node.l) && isBoolean(node.r)) return x => (l(x) as boolean) || (r(x) as boolean)
      return x => truthy(l(x)) || truthy(r(x))
    }
    case 'arith': {
      const l = rec(node.l); const r = rec(node.r)
      switch (node.op) {
        case '+': return x => add(l(x), r(x))
        case '-': return x => num(l(x)) - num(r(x))
        case '*': return x => num(l(x)) * num(r(x))
        case '/': return x => num(l(x)) / num(r(x))
        default: return x => num(l(x)) % num(r(x))
      }
    }
    case 'cmp': {
      // A numeric column against a number: the hot case, specialised.
      const col = node.l.t === 'field' ? numbers(node.l.path) : undefined
      if (col !== undefined && node.r.t === 'lit' && typeof node.r.v === 'number') {
        const c = node.r.v
        switch (node.op) {
          case '<': return x => col[x as number]! < c
          case '<=': return x => col[x as number]! <= c
          case '>': return x => col[x as number]! > c
          case '>=': return x => col[x as number]! >= c
          case '==': return x => col[x as number]! === c
          default: return x => col[x as number]! !== c
        }
      }
      return comparison(node.op, rec(node.l), rec(node.r))
    }
  }
}

function fieldOfRecord (path: string[]): Evaluator {
  if (path.length === 1) { const a = path[0]!; return rec => ownField(rec, a) }
  return rec => descend(rec, path, 0)
}

function fieldOfBatch (batch: RecordBatch, path: string[]): (i: number) => unknown {
  const top = batch.reader(path[0]!)
  if (path.length === 1) return top
  return i => descend(top(i), path, 1)
}

function descend (x: unknown, path: string[], from: number): unknown {
  for (let k = from; k < path.length; k++) {
    if (x === null || typeof x !== 'object') return undefined
    x = ownField(x as SensorRecord, path[k]!)
  }
  return x
}

const num = (v: unknown): number => typeof v === 'number' ? v : NaN
const add = (a: unknown, b: unknown): unknown => typeof a === 'string' && typeof b === 'string' ? a + b : num(a) + num(b)

function comparison<X> (op: string, l: (x: X) => unknown, r: (x: X) => unknown): (x: X) => boolean {
  const ordered = (a: unknown, b: unknown): boolean => typeof a === typeof b && (typeof a === 'number' || typeof a === 'string')
  switch (op) {
    case '==': return x => l(x) === r(x)
    case '!=': return x => l(x) !== r(x)
    case '<': return x => { const a = l(x); const b = r(x); return ordered(a, b) && (a as number) < (b as number) }
    case '<=': return x => { const a = l(x); const b = r(x); return ordered(a, b) && (a as number) <= (b as number) }
    case '>': return x => { const a = l(x); const b = r(x); return ordered(a, b) && (a as number) > (b as number) }
    default: return x => { const a = l(x); const b = r(x); return ordered(a, b) && (a as number) >= (b as number) }
  }
}
