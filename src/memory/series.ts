// A bounded time series per stage boundary, for the profile report: at most POINTS buckets;
// when a run outlasts them, neighbouring buckets are merged and the bucket width doubles, so a
// run of any length holds the same few kilobytes.

/** Most buckets kept per series. */
export const POINTS = 480

/** One boundary's series; index k covers `[k * bucketMs, (k + 1) * bucketMs)` from the start. */
export interface BoundarySeries {
  /** Records (or bytes, or chars) that passed. */
  items: number[]
  batches: number[]
  /** Time spent waiting for upstream (this stage and all before it), ms. */
  inclusiveMs: number[]
  /** Time the monitor spent at this boundary (sampling, collections), ms. */
  overheadMs: number[]
  /** Highest heap in use seen when a batch passed (garbage included); 0 when none passed. */
  heap: number[]
  /** Highest heap in use after a full collection measured here, or null. */
  live: Array<number | null>
}

/** What {@link TimeSeries.data} returns: plain arrays, ready for JSON or a chart. */
export interface SeriesData {
  bucketMs: number
  /** Buckets in use. */
  length: number
  boundaries: BoundarySeries[]
}

const FIELDS = 6 // items, batches, inclusive, overhead, heap, live

export class TimeSeries {
  #bucketMs: number
  #length = 0
  readonly #start: number
  // One Float64Array of POINTS * FIELDS per boundary; live is NaN where not measured.
  readonly #rows: Float64Array[] = []

  constructor (start: number, bucketMs = 25) {
    this.#start = start
    this.#bucketMs = bucketMs
  }

  #row (boundary: number): Float64Array {
    while (this.#rows.length <= boundary) {
      const row = new Float64Array(POINTS * FIELDS)
      for (let k = 0; k < POINTS; k++) row[k * FIELDS + 5] = NaN
      this.#rows.push(row)
    }
    return this.#rows[boundary]!
  }

  #index (t: number): number {
    let k = Math.max(0, Math.floor((t - this.#start) / this.#bucketMs))
    while (k >= POINTS) { this.#compact(); k = Math.floor((t - this.#start) / this.#bucketMs) }
    if (k + 1 > this.#length) this.#length = k + 1
    return k
  }

  // Merges bucket pairs (sums for counts and times, maxima for heap), doubling the width.
  #compact (): void {
    for (const row of this.#rows) {
      for (let k = 0; k < POINTS / 2; k++) {
        const a = 2 * k * FIELDS
        const b = a + FIELDS
        const o = k * FIELDS
        for (let f = 0; f < 4; f++) row[o + f] = row[a + f]! + row[b + f]!
        row[o + 4] = Math.max(row[a + 4]!, row[b + 4]!)
        const la = row[a + 5]!
        const lb = row[b + 5]!
        row[o + 5] = la !== la ? lb : lb !== lb ? la : Math.max(la, lb)
      }
      for (let k = POINTS / 2; k < POINTS; k++) {
        row.fill(0, k * FIELDS, k * FIELDS + 5)
        row[k * FIELDS + 5] = NaN
      }
    }
    this.#bucketMs *= 2
    this.#length = Math.ceil(this.#length / 2)
  }

  /** A batch passed `boundary` at time `t`. */
  add (boundary: number, t: number, items: number, inclusiveMs: number, heap: number): void {
    const row = this.#row(boundary)
    const o = this.#index(t) * FIELDS
    row[o] += items
    row[o + 1]++
    row[o + 2] += inclusiveMs
    if (heap > row[o + 4]!) row[o + 4] = heap
  }

  /** The monitor spent `ms` at `boundary` at time `t`. */
  overhead (boundary: number, t: number, ms: number): void {
    this.#row(boundary)[this.#index(t) * FIELDS + 3] += ms
  }

  /** A heap measured after a full collection at `boundary`, time `t`. */
  live (boundary: number, t: number, bytes: number): void {
    const row = this.#row(boundary)
    const o = this.#index(t) * FIELDS + 5
    const old = row[o]!
    if (old !== old || bytes > old) row[o] = bytes
  }

  data (): SeriesData {
    const n = this.#length
    return {
      bucketMs: this.#bucketMs,
      length: n,
      boundaries: this.#rows.map(row => {
        const s: BoundarySeries = { items: [], batches: [], inclusiveMs: [], overheadMs: [], heap: [], live: [] }
        for (let k = 0; k < n; k++) {
          const o = k * FIELDS
          s.items.push(row[o]!)
          s.batches.push(row[o + 1]!)
          s.inclusiveMs.push(row[o + 2]!)
          s.overheadMs.push(row[o + 3]!)
          s.heap.push(row[o + 4]!)
          const l = row[o + 5]!
          s.live.push(l !== l ? null : l)
        }
        return s
      })
    }
  }
}
