import { flat } from '../batch/intern.js'

/** The aggregate functions a window computes, each in constant memory. */
export type AggregateName = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'first' | 'last'

const NAMES = new Set<string>(['count', 'sum', 'mean', 'min', 'max', 'first', 'last'])

/** One aggregate: a function of a field, written to the output under `as`. */
export interface Aggregate {
  fn: AggregateName
  /** The field it reads; undefined for `count` of records. */
  field: string | undefined
  /** The output key: `mean` for the default field, `mean_temp` for `mean:temp`. */
  as: string
}

/**
 * Reads an aggregate list: `'count,mean,min,max'`, `'mean:temp,max:hum'` or an array of such
 * entries or {@link Aggregate}s. A function without a field reads `defaultField`; it is an error
 * (TypeError) when it needs one and none is given.
 */
export function parseAggregates (spec: string | ReadonlyArray<string | Aggregate>, defaultField: string | undefined): Aggregate[] {
  const entries = typeof spec === 'string' ? spec.split(',').map(s => s.trim()).filter(s => s !== '') : [...spec]
  if (entries.length === 0) throw new TypeError('"aggregates" must name at least one aggregate')
  const out: Aggregate[] = []
  for (const entry of entries) {
    let agg: Aggregate
    if (typeof entry === 'string') {
      const [fn = '', field, extra] = entry.split(':')
      if (!NAMES.has(fn) || extra !== undefined || field === '') {
        throw new TypeError(`"aggregates": unknown aggregate ${JSON.stringify(entry)} (use count, sum, mean, min, max, first, last, optionally as fn:field)`)
      }
      if (fn === 'count') agg = { fn, field, as: field === undefined ? 'count' : `count_${field}` }
      else {
        const f = field ?? defaultField
        if (f === undefined) throw new TypeError(`"aggregates": "${fn}" needs a field: write ${fn}:FIELD, or give "value"`)
        agg = { fn: fn as AggregateName, field: f, as: field === undefined ? fn : `${fn}_${field}` }
      }
    } else if (entry !== null && typeof entry === 'object' && NAMES.has(entry.fn)) {
      agg = { fn: entry.fn, field: entry.field, as: entry.as ?? (entry.field === undefined ? entry.fn : `${entry.fn}_${entry.field}`) }
      if (agg.fn !== 'count' && agg.field === undefined) throw new TypeError(`"aggregates": "${agg.fn}" needs a field`)
    } else {
      throw new TypeError('"aggregates": each entry must be "fn" or "fn:field" or { fn, field, as }')
    }
    if (out.some(a => a.as === agg.as)) throw new TypeError(`"aggregates": "${agg.as}" is named twice`)
    out.push(agg)
  }
  return out
}

/** The running state of one field in one window: constant size. */
export class FieldAccumulator {
  /** Numeric values seen. */
  n = 0
  /** Non-missing values seen, numeric or not (for `count:field`). */
  present = 0
  sum = 0
  min = Infinity
  max = -Infinity
  first: unknown = undefined
  last: unknown = undefined

  /** Adds a number known not to be NaN-boxed garbage (the typed-column fast path). */
  addNumber (v: number): void {
    if (v !== v) return
    this.present++
    if (this.present === 1) this.first = v
    this.last = v
    this.n++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  add (v: unknown): void {
    if (v === undefined || v === null) return
    this.present++
    if (this.present === 1) this.first = typeof v === 'string' ? flat(v) : v
    this.last = v
    if (typeof v !== 'number' || v !== v) return
    this.n++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }
}

/** The value of one aggregate, given the window's record count and the field's accumulator. */
export function aggregateValue (fn: AggregateName, count: number, acc: FieldAccumulator | undefined): unknown {
  if (fn === 'count') return acc === undefined ? count : acc.present
  if (acc === undefined) return null
  switch (fn) {
    case 'sum': return acc.n === 0 ? null : acc.sum
    case 'mean': return acc.n === 0 ? null : acc.sum / acc.n
    case 'min': return acc.n === 0 ? null : acc.min
    case 'max': return acc.n === 0 ? null : acc.max
    case 'first': return acc.first ?? null
    default: return acc.last ?? null
  }
}
