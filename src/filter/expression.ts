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

/**
 * Narrows a selection of rows of `batch`: `sel[0..n)` holds row indices in ascending order, and
 * the program compacts them in place (order kept) to the rows for which the expression is true,
 * returning how many are left.
 */
export type SelectionProgram = (batch: RecordBatch, sel: Uint32Array, n: number) => number

/**
 * A compiled expression: evaluate it on a record, bind it to a batch and test rows by index, or
 * narrow a selection of a batch's rows column by column.
 */
export interface CompiledExpression {
  /** The value of the expression for one record. */
  evaluate: Evaluator
  /** A truth test of row i of `batch`; numeric columns are read unboxed. */
  bind: (batch: RecordBatch) => (i: number) => boolean
  /**
   * Keeps the selected rows of `batch` for which the expression is true: the rows `bind` passes,
   * in the same order. On a columnar batch, comparisons of numeric columns with numbers (or with
   * each other) run as one loop over the selection; the rest is evaluated row by row, on the rows
   * still selected.
   */
  refine: SelectionProgram
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
  const bind = (batch: RecordBatch): ((i: number) => boolean) => rowTest(ast, batch)
  const columns = refiner(ast)
  // A row-backed batch has no columns to loop over: one closure call per row is the fast way.
  const refine: SelectionProgram = (batch, sel, n) => n === 0 ? 0 : batch.columnar ? columns(batch, sel, n) : rowsPassing(rowTest(ast, batch), sel, n)
  return { evaluate, bind, refine, fields: [...fields], source }
}

function rowTest (node: Node, batch: RecordBatch): (i: number) => boolean {
  const f = build<number>(node, path => fieldOfBatch(batch, path), (path) => path.length === 1 ? batch.numbers(path[0]!) : undefined)
  return isBoolean(node) ? f as (i: number) => boolean : i => truthy(f(i))
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

// ---------------------------------------------------------------------------------------------
// Selection programs: an expression as a chain of passes, each narrowing a selection vector.

/**
 * Builds the selection program of a node for columnar batches. Every refiner keeps a subsequence
 * of its input selection (the `!` and `||` merges below rely on it).
 */
function refiner (node: Node): SelectionProgram {
  const k = constantOf(node)
  if (k !== undefined) return truthy(k.value) ? (_batch, _sel, n) => n : () => 0
  switch (node.t) {
    case 'and': {
      // Rows failing the left side are gone before the right side runs: && short-circuits.
      const l = refiner(node.l); const r = refiner(node.r)
      const both: SelectionProgram = (batch, sel, n) => { const m = l(batch, sel, n); return m === 0 ? 0 : r(batch, sel, m) }
      return range(node, both) ?? both
    }
    case 'or': return either(refiner(node.l), refiner(node.r))
    case 'not': return negation(refiner(node.e))
    case 'field': return node.path.length === 1 ? truthyColumn(node) : rowByRow(node)
    case 'cmp': return comparing(node) ?? rowByRow(node)
    default: return rowByRow(node)
  }
}

type CmpNode = Extract<Node, { op: string }>

// The node evaluated one row at a time (the `bind` closures), on the selected rows only.
function rowByRow (node: Node): SelectionProgram {
  return (batch, sel, n) => rowsPassing(rowTest(node, batch), sel, n)
}

function rowsPassing (pass: (i: number) => boolean, sel: Uint32Array, n: number): number {
  let k = 0
  for (let j = 0; j < n; j++) {
    const i = sel[j]!
    sel[k] = i
    k += +pass(i)
  }
  return k
}

/** The value of a node that reads no field (`-40`, `-(40)`, `1e3 * 2`, `"a" + "b"`), or undefined. */
function constantOf (node: Node): { value: unknown } | undefined {
  if (!readsNoField(node)) return undefined
  return { value: build<SensorRecord>(node, path => fieldOfRecord(path), () => undefined)({}) }
}

function readsNoField (n: Node): boolean {
  switch (n.t) {
    case 'lit': return true
    case 'field': return false
    case 'not': case 'neg': return readsNoField(n.e)
    default: return readsNoField(n.l) && readsNoField(n.r)
  }
}

// Truthiness of a bare field: a numeric column is true where it is neither 0 (or -0) nor NaN.
function truthyColumn (node: Extract<Node, { t: 'field' }>): SelectionProgram {
  const name = node.path[0]!
  const slow = rowByRow(node)
  return (batch, sel, n) => {
    const col = batch.numbers(name)
    if (col === undefined) return slow(batch, sel, n)
    let k = 0
    for (let j = 0; j < n; j++) {
      const i = sel[j]!
      const v = col[i]!
      sel[k] = i
      k += +(Math.abs(v) > 0) // false for 0, -0 and NaN only, with no branch
    }
    return k
  }
}

// With the operands swapped: `c < v` is `v > c`, also for NaN.
const MIRROR: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' }

/**
 * A comparison of a top-level field with a number (either side), or of two top-level fields, as a
 * loop over unboxed columns; undefined for any other comparison. When a batch does not hold the
 * field(s) as numeric columns, that batch is evaluated row by row. On two numbers the row path's
 * operators are JavaScript's own (`===`, `!==`, `<`, ...), which the loops use too, so NaN, -0
 * and the infinities behave the same.
 */
function comparing (node: CmpNode): SelectionProgram | undefined {
  const slow = rowByRow(node)
  const lField = topField(node.l)
  const rField = topField(node.r)
  if (lField !== undefined && rField !== undefined) {
    const loop = COLUMN_LOOPS[node.op]!
    return (batch, sel, n) => {
      const a = batch.numbers(lField); const b = batch.numbers(rField)
      return a === undefined || b === undefined ? slow(batch, sel, n) : loop(a, b, sel, n)
    }
  }
  const cmp = withConstant(node)
  if (cmp === undefined) return undefined
  const { field, op, c } = cmp
  const loop = CONSTANT_LOOPS[op]!
  return (batch, sel, n) => {
    const col = batch.numbers(field)
    return col === undefined ? slow(batch, sel, n) : loop(col, c, sel, n)
  }
}

/** The name of a top-level field operand (`value`, not `a.b`), or undefined. */
function topField (node: Node): string | undefined {
  return node.t === 'field' && node.path.length === 1 ? node.path[0]! : undefined
}

/** A comparison of a top-level field with a number (either side) as `field op c`, or undefined. */
function withConstant (node: Node): { field: string, op: string, c: number } | undefined {
  if (node.t !== 'cmp') return undefined
  const lField = topField(node.l)
  const rField = topField(node.r)
  if ((lField === undefined) === (rField === undefined)) return undefined
  const k = constantOf(lField !== undefined ? node.r : node.l)
  if (k === undefined || typeof k.value !== 'number') return undefined
  return { field: (lField ?? rField)!, op: lField !== undefined ? node.op : MIRROR[node.op]!, c: k.value }
}

/**
 * `a && b` where a and b bound one field from below and above (`value >= -40 && value <= 125`,
 * in either order, a constant on either side): one loop over the column testing both, instead of
 * a loop per side. `both` (the two sides one after the other) takes a batch without that numeric
 * column. Undefined for any other `&&`.
 */
function range (node: Extract<Node, { t: 'and' | 'or' }>, both: SelectionProgram): SelectionProgram | undefined {
  const a = withConstant(node.l)
  const b = withConstant(node.r)
  if (a === undefined || b === undefined || a.field !== b.field) return undefined
  const lower = LOWER.has(a.op) ? a : LOWER.has(b.op) ? b : undefined
  const upper = UPPER.has(a.op) ? a : UPPER.has(b.op) ? b : undefined
  if (lower === undefined || upper === undefined) return undefined
  const loop = RANGE_LOOPS[lower.op + upper.op]!
  const { field } = a
  const lo = lower.c
  const hi = upper.c
  return (batch, sel, n) => {
    const col = batch.numbers(field)
    return col === undefined ? both(batch, sel, n) : loop(col, lo, hi, sel, n)
  }
}

const LOWER = new Set(['>', '>='])
const UPPER = new Set(['<', '<='])

type RangeLoop = (col: Float64Array, lo: number, hi: number, sel: Uint32Array, n: number) => number

// As CONSTANT_LOOPS, both bounds tested on one read (NaN passes neither, as with the two loops).
const RANGE_LOOPS: Record<string, RangeLoop> = {
  '>=<=': (col, lo, hi, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; const v = col[i]!; sel[k] = i; k += +(v >= lo) & +(v <= hi) } return k },
  '>=<': (col, lo, hi, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; const v = col[i]!; sel[k] = i; k += +(v >= lo) & +(v < hi) } return k },
  '><=': (col, lo, hi, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; const v = col[i]!; sel[k] = i; k += +(v > lo) & +(v <= hi) } return k },
  '><': (col, lo, hi, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; const v = col[i]!; sel[k] = i; k += +(v > lo) & +(v < hi) } return k }
}

type ConstantLoop = (col: Float64Array, c: number, sel: Uint32Array, n: number) => number
type ColumnLoop = (a: Float64Array, b: Float64Array, sel: Uint32Array, n: number) => number

// One small function per operator, so each loop is a typed-array read and one compare. Every
// index is written and the count advances by the compare's 0 or 1 (never past the read index):
// no branch to mispredict when about half the rows pass.
const CONSTANT_LOOPS: Record<string, ConstantLoop> = {
  '<': (col, c, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(col[i]! < c) } return k },
  '<=': (col, c, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(col[i]! <= c) } return k },
  '>': (col, c, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(col[i]! > c) } return k },
  '>=': (col, c, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(col[i]! >= c) } return k },
  '==': (col, c, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(col[i]! === c) } return k },
  '!=': (col, c, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(col[i]! !== c) } return k }
}

const COLUMN_LOOPS: Record<string, ColumnLoop> = {
  '<': (a, b, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(a[i]! < b[i]!) } return k },
  '<=': (a, b, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(a[i]! <= b[i]!) } return k },
  '>': (a, b, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(a[i]! > b[i]!) } return k },
  '>=': (a, b, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(a[i]! >= b[i]!) } return k },
  '==': (a, b, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(a[i]! === b[i]!) } return k },
  '!=': (a, b, sel, n) => { let k = 0; for (let j = 0; j < n; j++) { const i = sel[j]!; sel[k] = i; k += +(a[i]! !== b[i]!) } return k }
}

/** A growable scratch selection, one per `!` or `||` node, reused across batches. */
function scratchOf (): (n: number) => Uint32Array {
  let buf = new Uint32Array(0)
  return n => { if (buf.length < n) buf = new Uint32Array(n); return buf }
}

// Removes from sel[0..n) the m indices of drop, a subsequence of it; returns the count left.
// drop[m] is set to a value no row index has (batches hold fewer than 2^32 - 1 rows), so the
// loop needs no bounds test and no branch; drop must have room for it.
function without (sel: Uint32Array, n: number, drop: Uint32Array, m: number): number {
  drop[m] = NO_ROW
  let k = 0
  let d = 0
  for (let j = 0; j < n; j++) {
    const i = sel[j]!
    const hit = +(drop[d] === i)
    sel[k] = i
    k += 1 - hit
    d += hit
  }
  return k
}

const NO_ROW = 0xffffffff

// `!e`: the selected rows that e does not keep.
function negation (e: SelectionProgram): SelectionProgram {
  const scratch = scratchOf()
  return (batch, sel, n) => {
    const kept = scratch(n + 1)
    kept.set(sel.subarray(0, n))
    const m = e(batch, kept, n)
    return m === 0 ? n : without(sel, n, kept, m)
  }
}

// `l || r`: the rows l keeps, and of the others the rows r keeps (r never sees a row l kept, as
// with the short-circuit), merged back in ascending order.
function either (l: SelectionProgram, r: SelectionProgram): SelectionProgram {
  const scratch = scratchOf()
  return (batch, sel, n) => {
    const left = scratch(n + 1)
    left.set(sel.subarray(0, n))
    const a = l(batch, left, n)
    if (a === n) return n
    if (a === 0) return r(batch, sel, n)
    const b = r(batch, sel, without(sel, n, left, a))
    // Merge from the back, the larger index first: the write index never passes the unread part
    // of sel, and once left is used up the rest of sel is already in place.
    let w = a + b
    let x = a - 1
    let y = b - 1
    while (x >= 0 && y >= 0) {
      const fromLeft = left[x]!
      const fromSel = sel[y]!
      const s = +(fromSel > fromLeft)
      sel[--w] = s * fromSel + (1 - s) * fromLeft
      y -= s
      x -= 1 - s
    }
    while (x >= 0) sel[--w] = left[x--]!
    return a + b
  }
}
