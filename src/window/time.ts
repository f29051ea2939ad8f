import { parseIsoTime } from '../parse/columns.js'

/** How a time field is read: epoch milliseconds, epoch seconds, or whatever fits (`auto`). */
export type TimeUnit = 'ms' | 's'

/**
 * A record's event time in epoch ms, or NaN when it has none: a number (ms, or seconds with
 * unit `s`), a string of digits (same), or an ISO 8601 date-time string.
 */
export function timeOf (v: unknown, unit: TimeUnit): number {
  if (typeof v === 'number') return v === v && v !== Infinity && v !== -Infinity ? (unit === 'ms' ? v : v * 1000) : NaN
  if (typeof v === 'string') {
    if (/^[0-9]{1,15}(?:\.[0-9]+)?$/.test(v)) return unit === 'ms' ? Number(v) : Number(v) * 1000
    return parseIsoTime(v)
  }
  if (v instanceof Date) return v.getTime()
  return NaN
}

/** The event time of a window stage: a record field, or the moment its batch arrived. */
export type TimeSource = { kind: 'field', field: string, unit: TimeUnit } | { kind: 'arrival' }

/**
 * Reads the `time` option: `FIELD`, `FIELD:ms`, `FIELD:s`, or `arrival` for arrival time (the
 * clock's `now()` when the batch arrives). A field named `arrival` is written `arrival:ms`.
 */
export function parseTimeSource (spec: string, option = 'time'): TimeSource {
  if (spec === 'arrival') return { kind: 'arrival' }
  return { kind: 'field', ...parseTimeField(spec, option) }
}

/** Splits `ts:s` into field and unit. */
export function parseTimeField (spec: string, option = 'time'): { field: string, unit: TimeUnit } {
  if (typeof spec !== 'string' || spec === '') throw new TypeError(`"${option}" must be a field name, optionally with :ms or :s`)
  const i = spec.lastIndexOf(':')
  if (i < 0) return { field: spec, unit: 'ms' }
  const unit = spec.slice(i + 1)
  if (unit !== 'ms' && unit !== 's') throw new TypeError(`"${option}": unknown unit ${JSON.stringify(unit)} (use ms or s)`)
  return { field: spec.slice(0, i), unit }
}
