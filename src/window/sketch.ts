// A quantile sketch with a relative-error guarantee, after DDSketch (Masson, Rim and Lee, "DDSketch:
// a fast and fully-mergeable quantile sketch with relative-error guarantees", VLDB 2019).
//
// Why not a package: @datadog/sketches-js (the maintained DDSketch) loses the negative values of
// the sketch it merges (`merge` only merges the positive store), and its `toProto` does a lazy
// `require` of protobufjs, which it does not depend on, so bundling the CLI with esbuild fails;
// its default store is unbounded. `tdigest` has no types, allocates a tree node per centroid and
// gives no error bound that a test can hold it to. This is ~150 lines with a bound we can test.

/** Options of a {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /** The relative accuracy α, in (0, 1). Default 0.01 (1 %). */
  relativeAccuracy?: number
  /** Most bins per sign; past it the smallest magnitudes are folded into the lowest bin. Default 2048. */
  maxBins?: number
}

/**
 * A bounded-memory quantile sketch: every value goes into a logarithmic bin, so that
 * `quantile(q)` is within `α · |x|` of the exact nearest-rank quantile `x` (the smallest value
 * with at least `q · n` values at or below it), α = `relativeAccuracy`. p0 and p100 are exact.
 *
 * Memory: at most `maxBins` counters for positive and as many for negative values (2 × 2048 × 8
 * bytes = 32 KiB at worst; a sensor whose values span one decade uses about 120 bins). When the
 * magnitudes of one sign span more than γ^maxBins (≈ 5.7·10^17 for α = 1 %), the smallest are
 * folded into the lowest kept bin and lose the guarantee (DDSketch's "collapsing lowest" policy).
 * Merging two sketches of the same α is exact: the result is the sketch of both inputs.
 *
 * @example
 * ```ts
 * const s = new QuantileSketch()
 * for (const v of [3, 1, 2]) s.add(v)
 * s.quantile(0.5) // 2 ± 2 %
 * ```
 */
export class QuantileSketch {
  readonly relativeAccuracy: number
  readonly maxBins: number
  /** Values added (finite numbers only). */
  count = 0
  min = Infinity
  max = -Infinity
  #zeros = 0
  readonly #lnGamma: number
  readonly #factor: number
  readonly #pos: BinStore
  readonly #neg: BinStore

  constructor ({ relativeAccuracy = 0.01, maxBins = 2048 }: QuantileSketchOptions = {}) {
    if (typeof relativeAccuracy !== 'number' || !(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new TypeError(`"relativeAccuracy" must be a number between 0 and 1, got ${String(relativeAccuracy)}`)
    }
    if (!Number.isInteger(maxBins) || maxBins < 16) throw new TypeError(`"maxBins" must be an integer of at least 16, got ${String(maxBins)}`)
    this.relativeAccuracy = relativeAccuracy
    this.maxBins = maxBins
    const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    this.#lnGamma = Math.log(gamma)
    // A bin (γ^(i-1), γ^i] is represented by 2γ^i / (γ + 1): within α of both its ends.
    this.#factor = 2 / (gamma + 1)
    this.#pos = new BinStore(maxBins)
    this.#neg = new BinStore(maxBins)
  }

  /** Adds a value; NaN and ±Infinity are ignored. */
  add (v: number): void {
    if (!(v > -Infinity && v < Infinity)) return
    if (v > 0) this.#pos.add(Math.ceil(Math.log(v) / this.#lnGamma), 1)
    else if (v < 0) this.#neg.add(Math.ceil(Math.log(-v) / this.#lnGamma), 1)
    else this.#zeros++
    this.count++
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  /** Adds every value of `other` (a sketch of the same accuracy). */
  merge (other: QuantileSketch): void {
    if (other.#lnGamma !== this.#lnGamma) throw new TypeError('cannot merge sketches of different relative accuracy')
    this.#pos.merge(other.#pos)
    this.#neg.merge(other.#neg)
    this.#zeros += other.#zeros
    this.count += other.count
    if (other.min < this.min) this.min = other.min
    if (other.max > this.max) this.max = other.max
  }

  /** The q-quantile (q in [0, 1]) within the relative accuracy, or NaN when the sketch is empty. */
  quantile (q: number): number {
    if (this.count === 0 || !(q >= 0 && q <= 1)) return NaN
    if (q === 0) return this.min
    if (q === 1) return this.max
    // Nearest rank, 0-based.
    const rank = Math.max(0, Math.ceil(q * this.count) - 1)
    let v: number
    const negCount = this.#neg.total
    if (rank < negCount) {
      // Negative values in ascending order are the negative store's bins from the largest magnitude down.
      v = -this.#value(this.#neg.indexAtRankFromTop(rank))
    } else if (rank < negCount + this.#zeros) {
      v = 0
    } else {
      v = this.#value(this.#pos.indexAtRank(rank - negCount - this.#zeros))
    }
    return v < this.min ? this.min : v > this.max ? this.max : v
  }

  /** Bins allocated (a measure of memory: 8 bytes each). */
  get bins (): number { return this.#pos.capacity + this.#neg.capacity }

  #value (index: number): number { return Math.exp(index * this.#lnGamma) * this.#factor }
}

/** Counts per bin index over a contiguous range [lo, hi] of at most `maxBins` indices. */
class BinStore {
  total = 0
  #counts: Float64Array | undefined
  /** Index of #counts[0]. */
  #offset = 0
  #lo = 0
  #hi = -1

  constructor (private readonly maxBins: number) {}

  get capacity (): number { return this.#counts?.length ?? 0 }

  add (index: number, weight: number): void {
    if (this.total === 0) {
      this.#lo = this.#hi = index
      this.#fit()
    } else if (index > this.#hi) {
      this.#hi = index
      // The range may not exceed maxBins: fold the smallest magnitudes into the lowest kept bin.
      if (this.#hi - this.#lo + 1 > this.maxBins) this.#collapseTo(this.#hi - this.maxBins + 1)
      this.#fit()
    } else if (index < this.#lo) {
      const floor = this.#hi - this.maxBins + 1
      if (index < floor) index = floor
      if (index < this.#lo) { this.#lo = index; this.#fit() }
    }
    this.#counts![index - this.#offset]! += weight
    this.total += weight
  }

  merge (other: BinStore): void {
    if (other.total === 0) return
    const c = other.#counts!
    // Highest first, so the range is extended (and collapsed) once at the top.
    for (let i = other.#hi; i >= other.#lo; i--) {
      const w = c[i - other.#offset]!
      if (w > 0) this.add(i, w)
    }
  }

  /** The bin index holding the value of the given 0-based rank, counting from the lowest index. */
  indexAtRank (rank: number): number {
    const c = this.#counts!
    let seen = 0
    for (let i = this.#lo; i <= this.#hi; i++) {
      seen += c[i - this.#offset]!
      if (seen > rank) return i
    }
    return this.#hi
  }

  /** The bin index holding the value of the given 0-based rank, counting from the highest index. */
  indexAtRankFromTop (rank: number): number {
    const c = this.#counts!
    let seen = 0
    for (let i = this.#hi; i >= this.#lo; i--) {
      seen += c[i - this.#offset]!
      if (seen > rank) return i
    }
    return this.#lo
  }

  #collapseTo (floor: number): void {
    const c = this.#counts!
    let folded = 0
    for (let i = this.#lo; i < floor; i++) {
      const j = i - this.#offset
      if (j >= 0 && j < c.length) { folded += c[j]!; c[j] = 0 }
    }
    this.#lo = floor
    // The floor bin may lie outside the buffer until #fit moves it: keep the count aside.
    this.#fit()
    this.#counts![floor - this.#offset]! += folded
  }

  // Makes the buffer cover [lo, hi]: grows it (doubling, never past maxBins) or re-centres it.
  #fit (): void {
    const need = this.#hi - this.#lo + 1
    const c = this.#counts
    if (c !== undefined && this.#lo >= this.#offset && this.#hi < this.#offset + c.length) return
    const size = Math.min(this.maxBins, Math.max(32, need, c === undefined ? 0 : c.length * 2))
    const next = new Float64Array(size)
    const offset = this.#lo - Math.floor((size - need) / 2)
    if (c !== undefined) {
      for (let i = Math.max(this.#lo, this.#offset); i <= this.#hi && i < this.#offset + c.length; i++) {
        next[i - offset] = c[i - this.#offset]!
      }
    }
    this.#counts = next
    this.#offset = offset
  }
}
