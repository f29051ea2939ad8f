// Brute-force references for the window tests: every record kept, every group aggregated from
// scratch, no cleverness. Records are { ts, k, v }.
import type { SensorRecord } from '../../src/index.js'

export const ALL = 'count,sum,mean,min,max,first,last'

export interface ReferenceOptions {
  size: number
  slide?: number
  lateness?: number
  /** 'drop' (default): late records go nowhere; 'update': late records join their window too. */
  late?: 'drop' | 'update'
}

/**
 * Time windows by the rules: the watermark is the largest event time seen minus the
 * lateness; a record goes into each window [s, s + size) (s a multiple of slide) holding it whose
 * end is after the watermark as it stood before the record; a record with none is late.
 */
export function referenceWindows (recs: readonly SensorRecord[], o: ReferenceOptions): { results: SensorRecord[], late: number } {
  const slide = o.slide ?? o.size
  const lateness = o.lateness ?? 0
  const groups = new Map<string, { window: number, k: unknown, recs: SensorRecord[] }>()
  let wm = -Infinity
  let late = 0
  for (const r of recs) {
    const t = r.ts as number
    const last = Math.floor(t / slide) * slide
    let added = false
    for (let s = last; s > t - o.size; s -= slide) {
      if (s + o.size <= wm && o.late !== 'update') continue
      const id = `${s}\u0000${String(r.k)}`
      let g = groups.get(id)
      if (g === undefined) groups.set(id, g = { window: s, k: r.k, recs: [] })
      g.recs.push(r)
      if (s + o.size > wm) added = true
    }
    if (!added) late++
    wm = Math.max(wm, t - lateness)
  }
  const results = [...groups.values()].map(g => ({ window: g.window, end: g.window + o.size, k: g.k, ...aggregate(g.recs) }))
  return { results: results.sort(byWindowThenKey), late }
}

/** count, sum (in arrival order), mean, min, max, first / last (by time; ties by arrival) of field v. */
export function aggregate (recs: readonly SensorRecord[]): SensorRecord {
  const present = recs.filter(r => r.v !== undefined && r.v !== null)
  const nums = present.map(r => r.v).filter((v): v is number => typeof v === 'number' && !Number.isNaN(v))
  let sum = 0
  for (const v of nums) sum += v
  let first: SensorRecord | undefined
  let last: SensorRecord | undefined
  for (const r of present) {
    if (first === undefined || (r.ts as number) < (first.ts as number)) first = r
    if (last === undefined || (r.ts as number) >= (last.ts as number)) last = r
  }
  return {
    count: recs.length,
    sum: nums.length === 0 ? null : sum,
    mean: nums.length === 0 ? null : sum / nums.length,
    min: nums.length === 0 ? null : Math.min(...nums),
    max: nums.length === 0 ? null : Math.max(...nums),
    first: first?.v ?? null,
    last: last?.v ?? null
  }
}

export function byWindowThenKey (a: SensorRecord, b: SensorRecord): number {
  return (a.window as number) - (b.window as number) || String(a.k).localeCompare(String(b.k)) || (a.end as number) - (b.end as number)
}

/** Keeps the last result of each (window, key): the corrected one under late: 'update'. */
export function latestRevisions (results: readonly SensorRecord[]): SensorRecord[] {
  const byId = new Map<string, SensorRecord>()
  for (const r of results) {
    const id = `${String(r.window)}\u0000${String(r.k)}`
    const prev = byId.get(id)
    if (prev === undefined || (r.revision as number) > (prev.revision as number)) byId.set(id, r)
  }
  return [...byId.values()].map(r => { const { revision: _revision, ...rest } = r; return rest }).sort(byWindowThenKey)
}

/** A tiny deterministic PRNG (mulberry32) for the big generated inputs. */
export { prng } from '../../scripts/prng.mjs'
