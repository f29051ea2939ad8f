import { ConfigError } from '../errors.js'

/** The typed-column types a parser converts fields to. */
export type ColumnType = 'int' | 'float' | 'string' | 'bool' | 'time' | 'time:s'

/** One typed column: `ts:time`, `value:float`, `hum:float?` (the `?` allows an empty field, read as null). */
export interface Column {
  name: string
  type: ColumnType
  optional: boolean
}

const TYPES = new Set<string>(['int', 'float', 'string', 'bool', 'time', 'time:s', 'time:ms'])

/**
 * Reads a column list: `'ts:time,sensor:string,value:float'` or an array of such entries or
 * {@link Column}s. A name without a type is a `string`. Throws a TypeError naming the bad entry.
 */
export function parseColumns (spec: string | ReadonlyArray<string | Column>, option = 'columns'): Column[] {
  const entries = typeof spec === 'string' ? splitTopLevel(spec) : [...spec]
  if (entries.length === 0) throw new TypeError(`"${option}" must name at least one column`)
  const seen = new Set<string>()
  return entries.map(entry => {
    let col: Column
    if (typeof entry === 'string') {
      const text = entry.trim()
      const i = text.indexOf(':')
      const name = i < 0 ? text : text.slice(0, i)
      let type = i < 0 ? 'string' : text.slice(i + 1)
      const optional = type.endsWith('?')
      if (optional) type = type.slice(0, -1)
      if (type === 'time:ms') type = 'time'
      if (name === '') throw new TypeError(`"${option}": empty column name in ${JSON.stringify(entry)}`)
      if (!TYPES.has(type)) {
        throw new TypeError(`"${option}": unknown type ${JSON.stringify(type)} for column "${name}" (use int, float, string, bool, time, time:s)`)
      }
      col = { name, type: type as ColumnType, optional }
    } else if (entry !== null && typeof entry === 'object' && typeof entry.name === 'string' && TYPES.has(entry.type)) {
      col = { name: entry.name, type: entry.type, optional: entry.optional === true }
    } else {
      throw new TypeError(`"${option}": each column must be "name:type" or { name, type }`)
    }
    if (col.name === '__proto__') throw new TypeError(`"${option}": "__proto__" cannot be a column name`)
    if (seen.has(col.name)) throw new TypeError(`"${option}": column "${col.name}" is named twice`)
    seen.add(col.name)
    return col
  })
}

// `time:s` contains a colon, so entries are split at commas only.
function splitTopLevel (s: string): string[] {
  return s.split(',').filter(x => x.trim() !== '')
}

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

/** The strict float grammar, used where the fast path declines. */
const FLOAT_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/

/**
 * Parses `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?` in s[from, to) to the nearest double,
 * or returns NaN when it does not match or is not finite. No spaces, `NaN`, `inf`, hex or `_`.
 * Short decimals take an exact fast path (mantissa < 2^53, |exponent| ≤ 22: one correctly
 * rounded multiply or divide); anything else goes through `Number()` after the grammar check.
 */
export function parseFloatStrict (s: string, from = 0, to = s.length): number {
  let i = from
  if (i >= to) return NaN
  let c = s.charCodeAt(i)
  let neg = false
  if (c === 43 || c === 45) { neg = c === 45; if (++i >= to) return NaN; c = s.charCodeAt(i) }
  // -0, not 0: a double from the start, so optimized code neither does Smi arithmetic that a long
  // mantissa overflows nor deoptimizes at the first "-0" (negating a Smi 0); and the sign is
  // applied by a multiply that runs for every number, so that optimized code never meets a
  // negation it has no type feedback for (the first negative number after it was optimized).
  // See NUMBER in csv.ts.
  let mant = -0
  let digits = 0
  let intDigits = 0
  while (c >= 48 && c <= 57) {
    mant = mant * 10 + (c - 48); digits++; intDigits++
    if (++i >= to) break
    c = s.charCodeAt(i)
  }
  let frac = 0
  if (i < to && c === 46) {
    if (++i < to) {
      c = s.charCodeAt(i)
      while (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48); digits++; frac++
        if (++i >= to) break
        c = s.charCodeAt(i)
      }
    }
    if (intDigits === 0 && frac === 0) return NaN
  } else if (intDigits === 0) return NaN
  if (i < to) {
    // An exponent, or garbage: let the slow path decide.
    if (c !== 101 && c !== 69) return NaN
    return slowFloat(s, from, to)
  }
  if (digits <= 15) {
    return (mant / POW10[frac]!) * (neg ? -1 : 1)
  }
  return slowFloat(s, from, to)
}

export function slowFloat (s: string, from: number, to: number): number {
  const text = from === 0 && to === s.length ? s : s.slice(from, to)
  if (!FLOAT_RE.test(text)) return NaN
  const v = Number(text)
  return Number.isFinite(v) ? v : NaN
}

/** `[+-]?digits`, a safe integer; NaN otherwise. */
export function parseIntStrict (s: string, from = 0, to = s.length): number {
  let i = from
  if (i >= to) return NaN
  let c = s.charCodeAt(i)
  let neg = false
  if (c === 43 || c === 45) { neg = c === 45; if (++i >= to) return NaN }
  if (to - i > 16) return NaN
  let v = 0
  for (; i < to; i++) {
    c = s.charCodeAt(i)
    if (c < 48 || c > 57) return NaN
    v = v * 10 + (c - 48)
  }
  if (!Number.isSafeInteger(v)) return NaN
  return neg ? -v : v
}

/** 1 to 15 ASCII digits (no sign), as a number; NaN otherwise. */
export function parseDigits15 (s: string, from = 0, to = s.length): number {
  const n = to - from
  if (n < 1 || n > 15) return NaN
  let v = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return NaN
    v = v * 10 + (c - 48)
  }
  return v
}

// ISO 8601 date-time: date, 'T' or space, time with optional fraction, optional zone.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * An ISO 8601 date-time as epoch milliseconds, or NaN when it is not one. No zone means UTC (sensor
 * logs mean UTC, where `Date.parse` would take local time); `±hh`, `±hhmm` and `±hh:mm` zones are
 * read; a date or time out of range (30 February, 24:00, minute 60) is rejected, not rolled over.
 */
export function parseIsoTime (text: string): number {
  const m = ISO_RE.exec(text)
  if (m === null) return NaN
  const y = Number(m[1]); const mo = Number(m[2]); const d = Number(m[3])
  const h = m[4] === undefined ? 0 : Number(m[4]); const mi = m[5] === undefined ? 0 : Number(m[5]); const sec = m[6] === undefined ? 0 : Number(m[6])
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : DAYS[mo - 1]!) || h > 23 || mi > 59 || sec > 59) return NaN
  const ms = m[7] === undefined ? 0 : Number((m[7] + '00').slice(0, 3))
  let offset = 0
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3))
    const zm = zone.length > 3 ? Number(zone.slice(-2)) : 0
    if (zh > 23 || zm > 59) return NaN
    offset = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm) * 60_000
  }
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec, ms))
  date.setUTCFullYear(y) // Date.UTC reads years 0-99 as 1900-1999
  return date.getTime() - offset
}

/** A time field: epoch ms (1-15 digits) or ISO 8601; with unit 's', epoch seconds (fraction allowed). */
export function parseTime (text: string, unit: 'ms' | 's', from = 0, to = text.length): number {
  if (unit === 'ms') {
    const v = parseDigits15(text, from, to)
    if (v === v) return v
  } else {
    const field = from === 0 && to === text.length ? text : text.slice(from, to)
    if (/^[0-9]{1,15}(?:\.[0-9]{1,9})?$/.test(field)) return Math.round(Number(field) * 1000)
  }
  return parseIsoTime(from === 0 && to === text.length ? text : text.slice(from, to))
}

const BOOLS: Record<string, boolean> = { true: true, false: false, TRUE: true, FALSE: false, True: true, False: false, 1: true, 0: false, yes: true, no: false }

/** `true/false/1/0/yes/no` (and TRUE, True, ...); undefined otherwise. */
export function parseBool (text: string): boolean | undefined {
  return Object.prototype.hasOwnProperty.call(BOOLS, text) ? BOOLS[text] : undefined
}

/** The reason a field failed its column type, for rejections. */
export function typeReason (type: ColumnType): string {
  switch (type) {
    case 'int': return 'bad-int'
    case 'float': return 'bad-float'
    case 'string': return 'empty-string'
    case 'bool': return 'bad-bool'
    default: return 'bad-time'
  }
}

/**
 * Converts field text s[from, to) to its column's type; returns `INVALID` when it does not fit.
 * An empty field of an optional column is null.
 */
export function convertField (col: Column, s: string, from: number, to: number): unknown {
  if (from === to) return col.optional ? null : INVALID
  switch (col.type) {
    case 'float': { const v = parseFloatStrict(s, from, to); return v === v ? v : INVALID }
    case 'time': { const v = parseTime(s, 'ms', from, to); return v === v ? v : INVALID }
    case 'string': return from === 0 && to === s.length ? s : s.slice(from, to)
    case 'int': { const v = parseIntStrict(s, from, to); return v === v ? v : INVALID }
    case 'time:s': { const v = parseTime(s, 's', from, to); return v === v ? v : INVALID }
    case 'bool': { const v = parseBool(s.slice(from, to)); return v === undefined ? INVALID : v }
  }
}

/** Marks a field that failed its type. */
export const INVALID: unique symbol = Symbol('invalid')

export function assertColumns (columns: Column[], names: Iterable<string>, what: string): void {
  const have = new Set(columns.map(c => c.name))
  for (const n of names) {
    if (!have.has(n)) throw new ConfigError(`${what} "${n}" is not a column (columns: ${[...have].join(', ')})`)
  }
}
