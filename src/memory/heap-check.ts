import { SensorpipeError } from '../errors.js'
import { pipe } from '../pipe.js'
import type { Stage } from '../types.js'
import { collectFully, externalInUse, formatMB, heapInUse, MB, oldGenerationInUse } from './heap.js'
import { AllocationSampler } from './sampler.js'
import { type SeriesData, TimeSeries } from './series.js'
import { collector } from './weak-store.js'

/** Options of {@link heapMonitor}. */
export interface HeapCheckOptions {
  /**
   * Budget in MB (2^20 bytes): when the heap in use after a full collection (V8's heap plus the
   * external memory of Buffers and typed arrays) exceeds it, the pipeline stops with a
   * {@link HeapBudgetError} naming where the growth was seen. Default: no budget.
   */
  maxHeap?: number
  /**
   * Least time between two measurements after a full collection, in ms. Default 1000. One
   * measurement (two full collections, see `liveHeap`) costs about 5 ms on a small heap
   * and 15-20 ms on the reference job (11 MB live, up to 40 MB with young garbage), so the
   * default costs 1-2% of a run. With only a budget (`liveSamples: false`) a measurement is made
   * only when the heap in use, garbage included, is over the budget.
   */
  gcEvery?: number
  /** Measure after a collection every `gcEvery` even when under budget, for the live high-water marks. Default true. */
  liveSamples?: boolean
  /** Keep a bounded time series per stage for {@link renderProfile}. Default false. */
  profile?: boolean
  /**
   * With a budget: sample allocations (V8's sampling heap profiler, in-process) so that the error
   * can name the stage that allocated the live memory. Default true; costs about 1-3%.
   */
  attribute?: boolean
  /** The clock, in ms. Default `performance.now`. */
  now?: () => number
}

/** What a batch is counted in: a Buffer's bytes, a string's chars, an array's or batch's records. */
export type BatchUnit = 'bytes' | 'chars' | 'records' | 'items'

/** One stage's row of the heap-check table. */
export interface StageReport {
  /** `source`, `lines`, `parseCsv`, ... */
  name: string
  /** What `out` counts; `in` counts the previous stage's unit. */
  unit: BatchUnit | undefined
  inUnit: BatchUnit | undefined
  /** Batches the stage yielded. */
  batches: number
  /** Records (or bytes, chars) it received; undefined for the source. */
  in: number | undefined
  /** Records (or bytes, chars) it yielded. */
  out: number
  /** Records it dropped, from its `stats` (too long, malformed, filtered, no time), when it counts them. */
  dropped: number | undefined
  /** Time spent in the stage itself (waiting for I/O included for the source), ms. */
  selfMs: number
  /** Highest heap in use (garbage included) when one of its batches passed on. */
  heapPeak: number
  /** Highest heap in use after a full collection measured after this stage, if any. */
  livePeak: number | undefined
}

/** What a {@link HeapMonitor} measured; {@link formatHeapTable} prints it. */
export interface HeapReport {
  /** Source first, then each stage in order. */
  stages: StageReport[]
  /** Time the consumer (the output) took, ms. */
  sinkMs: number
  /** From the first pull to the last batch (or now), ms. */
  totalMs: number
  /** Highest heap in use seen, garbage included. */
  heapPeak: number
  /** Heap in use after a collection at the start, at the highest and at the end (undefined when no collection could be had). */
  liveStart: number | undefined
  livePeak: number | undefined
  /** Where the live high-water mark was measured: `parseCsv → where`. */
  livePeakAt: string | undefined
  liveEnd: number | undefined
  /** Measurements after a collection, and the time they took (collections included), ms. */
  liveSamples: number
  monitorMs: number
  /** The budget in bytes, if any. */
  maxHeap: number | undefined
  /** The time series, with `profile: true`. */
  series: SeriesData | undefined
}

/**
 * The heap in use after a collection went over `maxHeap`. `boundary` names where it was seen
 * (`where → leaky`), `stage` the stage the growth was charged to, when one could be.
 */
export class HeapBudgetError extends SensorpipeError {
  readonly boundary: string
  readonly stage: string | undefined
  /** Heap in use after a collection, and the budget, in bytes. */
  readonly heap: number
  readonly budget: number
  /** The monitor's report at the moment it stopped. */
  readonly report: HeapReport
  constructor (message: string, details: { boundary: string, stage: string | undefined, heap: number, budget: number, report: HeapReport }) {
    super('ERR_HEAP_BUDGET', message)
    this.name = 'HeapBudgetError'
    this.boundary = details.boundary
    this.stage = details.stage
    this.heap = details.heap
    this.budget = details.budget
    this.report = details.report
  }
}

interface Boundary {
  index: number
  /** The stage whose output passes here. */
  name: string
  /** Its generator's function name, to charge sampled allocations to it. */
  frame: string | undefined
  drops: (() => number) | undefined
  unit: BatchUnit | undefined
  batches: number
  items: number
  inclusiveMs: number
  overheadMs: number
  heapPeak: number
  livePeak: number
  /** Batches registered with the finalization registry, and those collected since. */
  registered: number
  finalized: number
  /** The registrations' unregister token: `finish` drops them all at once. */
  token: object
}

/** Options of {@link HeapMonitor.probe}. */
export interface ProbeOptions {
  /** Records the stage dropped so far (for the table). */
  drops?: () => number
  /** The stage's generator function name, so sampled allocations can be charged to it. */
  frame?: string
}

// Batches that passed a boundary and are still alive after a collection: a few are in flight;
// this many means something keeps them.
const KEPT_BATCHES = 16
// Least time between two budget checks prompted by the old generation's growth, ms.
const MIN_BUDGET_GAP = 50
// Batches alive at one boundary that prompt a budget check (between minor collections a few
// dozen uncollected ones are normal).
const HOARDED_BATCHES = 64

/**
 * Watches the heap between the stages of a pipeline. Its {@link HeapMonitor.probe} stages (or
 * {@link HeapMonitor.pipe}, which places one after the source and after every stage) pass each
 * batch on unchanged and count it: batches and records in and out, time spent per stage, the
 * heap in use (one `v8.getHeapStatistics()` call, about 0.15 µs) and, at most every `gcEvery` ms,
 * the heap after a full collection, taken at each boundary in turn. Over budget, the probe that
 * measured it throws a {@link HeapBudgetError}, which ends the pipeline like any stage error.
 *
 * Holds a fixed amount per boundary (a bounded time series with `profile`); never holds a batch.
 * Nothing is inserted into a pipeline unless you insert it: without a monitor, no cost at all.
 *
 * @example
 * ```ts
 * const monitor = heapMonitor({ maxHeap: 64 })
 * await writeTo('out.jsonl')(monitor.pipe(fromFile('in.csv'), lines(), parseCsv({ columns }), toJsonLines()))
 * await monitor.finish()
 * console.error(formatHeapTable(monitor.report()))
 * ```
 */
export class HeapMonitor {
  readonly #budget: number | undefined
  readonly #gcEvery: number
  readonly #liveSamples: boolean
  readonly #now: () => number
  readonly #boundaries: Boundary[] = []
  readonly #series: TimeSeries | undefined
  readonly #sampler: AllocationSampler | undefined
  readonly #registry: FinalizationRegistry<Boundary> | undefined
  #started = false
  #start = 0
  #end: number | undefined
  #lastLive = -Infinity
  #turn = 0
  #heapPeak = 0
  #liveStart: number | undefined
  #overAtStart: number | undefined
  #livePeak: number | undefined
  #livePeakAt: string | undefined
  #liveEnd: number | undefined
  #liveCount = 0
  #monitorMs = 0
  #tripped = false
  // External memory at the last live measurement: the live part of it, as far as we know.
  #liveExternal = 0
  // Least time between budget checks prompted by the estimate; doubles after each false alarm.
  #budgetGap = MIN_BUDGET_GAP

  constructor (options: HeapCheckOptions = {}) {
    const { maxHeap, gcEvery = 1000, liveSamples = true, profile = false, attribute = true, now = () => performance.now() } = options
    if (maxHeap !== undefined && !(typeof maxHeap === 'number' && maxHeap > 0 && Number.isFinite(maxHeap))) {
      throw new TypeError(`"maxHeap" must be a positive number of MB, got ${String(maxHeap)}`)
    }
    if (!(typeof gcEvery === 'number' && gcEvery >= 0 && Number.isFinite(gcEvery))) throw new TypeError(`"gcEvery" must be a number of ms >= 0, got ${String(gcEvery)}`)
    if (typeof now !== 'function') throw new TypeError('"now" must be a function returning ms')
    this.#budget = maxHeap === undefined ? undefined : maxHeap * MB
    this.#gcEvery = gcEvery
    this.#liveSamples = liveSamples
    this.#now = now
    this.#series = profile ? new TimeSeries(0) : undefined
    this.#sampler = this.#budget !== undefined && attribute ? new AllocationSampler() : undefined
    this.#registry = this.#budget === undefined ? undefined : new FinalizationRegistry(b => { b.finalized++ })
  }

  /**
   * A stage that passes batches on unchanged and measures them: place one after the source and
   * one after each stage, in pipeline order (the table reads them in the order they were made).
   * `name` is the stage whose output passes here (`source` for the first).
   */
  probe<T> (name: string, options: ProbeOptions = {}): Stage<T, T> {
    if (typeof name !== 'string' || name === '') throw new TypeError('"name" must be a non-empty string')
    const b: Boundary = {
      index: this.#boundaries.length, name, frame: options.frame, drops: options.drops, unit: undefined,
      batches: 0, items: 0, inclusiveMs: 0, overheadMs: 0, heapPeak: 0, livePeak: -1, registered: 0, finalized: 0, token: {}
    }
    this.#boundaries.push(b)
    const monitor = this
    return async function * heapProbe (source: AsyncIterable<T>): AsyncGenerator<T> {
      await monitor.#begin()
      let asked = monitor.#now()
      for await (const batch of source) {
        const tripped = monitor.#arrive(b, batch, asked)
        if (tripped !== undefined) throw await monitor.#budgetError(b, tripped)
        yield batch
        asked = monitor.#now()
      }
      b.inclusiveMs += monitor.#now() - asked
      monitor.#end = monitor.#now()
    }
  }

  /**
   * `pipe(source, ...stages)` with a {@link HeapMonitor.probe} after the source and after each
   * stage, named after the stage's function (`parseCsvStage` → `parseCsv`) and reading its
   * `stats` for drops.
   */
  pipe (source: AsyncIterable<unknown>, ...stages: Array<Stage<any, any>>): AsyncIterable<any> {
    const chain: Array<Stage<any, any>> = [this.probe('source', { frame: sourceFrame(source) })]
    stages.forEach((s, i) => {
      chain.push(s, this.probe(stageName(s, i + 1), { frame: s.name === '' ? undefined : s.name, drops: dropsOf(s) }))
    })
    return pipe(source, ...chain)
  }

  async #begin (): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#start = this.#now()
    if (this.#liveSamples || this.#budget !== undefined) {
      const live = this.#measureLive(undefined, this.#start)
      this.#liveStart = live
      // Over budget before anything ran: the first batch to arrive stops the run, however short.
      if (this.#budget !== undefined && live !== undefined && live > this.#budget) this.#overAtStart = live
    }
    await this.#sampler?.start()
  }

  // A batch arrived at boundary b. Returns the live heap when it is over budget.
  #arrive (b: Boundary, batch: unknown, asked: number): number | undefined {
    const t = this.#now()
    b.inclusiveMs += t - asked
    b.batches++
    if (b.unit === undefined) b.unit = unitOf(batch)
    const items = countOf(batch)
    b.items += items
    const heap = heapInUse()
    if (heap > b.heapPeak) b.heapPeak = heap
    if (heap > this.#heapPeak) this.#heapPeak = heap
    this.#series?.add(b.index, t - this.#start, items, t - asked, heap)
    if (this.#registry !== undefined && typeof batch === 'object' && batch !== null) {
      this.#registry.register(batch, b, b.token)
      b.registered++
    }
    const budget = this.#budget
    if (this.#overAtStart !== undefined && !this.#tripped) {
      const live = this.#overAtStart
      this.#overAtStart = undefined
      return live
    }
    const since = t - this.#lastLive
    if (budget !== undefined && heap > budget && !this.#tripped) {
      // Garbage included, the heap is over budget; is the live heap? The young generation is
      // mostly garbage, so the rest (plus the external memory found live last time) is a close
      // estimate: when it is over budget too, or when batches that passed here are piling up
      // uncollected, measure at once; else at most every gcEvery.
      if (since >= this.#gcEvery || (since >= this.#budgetGap && ((this.#finalizing() && b.registered - b.finalized > HOARDED_BATCHES) || oldGenerationInUse() + this.#liveExternal > budget))) {
        const live = this.#measureLive(b, t)
        if (live !== undefined && live > budget) return live
        if (since < this.#gcEvery) this.#budgetGap = Math.min(2 * this.#budgetGap, this.#gcEvery)
        return undefined
      }
    }
    if (!this.#liveSamples || since < this.#gcEvery) return undefined
    // Taken at each boundary in turn, so every stage gets live samples; a boundary that sees no
    // batch for two intervals gives its turn away.
    if (b.index !== this.#turn && since < 2 * this.#gcEvery) return undefined
    this.#turn = (b.index + 1) % this.#boundaries.length
    const live = this.#measureLive(b, t)
    return budget !== undefined && live !== undefined && live > budget && !this.#tripped ? live : undefined
  }

  #measureLive (b: Boundary | undefined, t: number, at = 'start'): number | undefined {
    const gc = collector()
    this.#lastLive = t
    if (gc === undefined) return undefined
    collectFully(gc)
    const live = heapInUse()
    this.#liveExternal = externalInUse()
    const spent = this.#now() - t
    this.#monitorMs += spent
    this.#liveCount++
    if (b !== undefined) {
      b.overheadMs += spent
      if (live > b.livePeak) b.livePeak = live
      this.#series?.live(b.index, t - this.#start, live)
      this.#series?.overhead(b.index, t - this.#start, spent)
    }
    if (this.#livePeak === undefined || live > this.#livePeak) {
      this.#livePeak = live
      this.#livePeakAt = b === undefined ? at : this.#label(b.index)
    }
    return live
  }

  // The live-batch counts mean something only once finalizers are seen to run: the language lets
  // an engine skip them, and V8 in Node 20 can stop running them altogether (docs/memory.md).
  #finalizing (): boolean {
    return this.#boundaries.some(x => x.finalized > 0)
  }

  #label (i: number): string {
    return `${this.#boundaries[i]!.name} → ${this.#boundaries[i + 1]?.name ?? 'output'}`
  }

  // Over budget at boundary b: find what to blame, then build the error the probe throws.
  async #budgetError (b: Boundary, live: number): Promise<HeapBudgetError> {
    this.#tripped = true
    const budget = this.#budget!
    // Finalization callbacks for the collection just made run in a later task.
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
    const frames = new Map<string, string>()
    for (const x of this.#boundaries) if (x.frame !== undefined) frames.set(x.frame, x.name)
    const shares = await this.#sampler?.shares(frames) ?? []
    const sampled = shares.reduce((s, x) => s + x.bytes, 0)
    const top = shares[0]
    const parts: string[] = []
    let stage: string | undefined
    const grown = live - (this.#liveStart ?? 0)
    if (top !== undefined && top.stage !== '(other)' && top.bytes >= 0.5 * sampled && top.bytes >= 0.25 * grown) {
      stage = top.stage
      parts.push(`most of the live memory was allocated by stage "${top.stage}" (${formatMB(top.bytes)} sampled, ${Math.round(100 * top.bytes / sampled)}%)`)
    }
    const kept = this.#finalizing() ? this.#boundaries.find(x => x.registered - x.finalized >= KEPT_BATCHES) : undefined
    if (kept !== undefined) {
      const next = this.#boundaries[kept.index + 1]?.name ?? 'the output'
      stage ??= next
      parts.push(`${kept.registered - kept.finalized} batches that passed ${this.#label(kept.index)} are still alive: "${next}" or a stage after it keeps them`)
    }
    if (parts.length === 0) parts.push('the growth could not be charged to one stage (--heap-snapshot DIR shows which objects grew)')
    const seconds = ((this.#now() - this.#start) / 1000).toFixed(1)
    const message = `heap over budget: ${formatMB(live)} in use after garbage collection, over the --max-heap budget of ${formatMB(budget)} ` +
      `(seen at ${this.#label(b.index)}, ${seconds} s into the run); ${parts.join('; ')}`
    return new HeapBudgetError(message, { boundary: this.#label(b.index), stage, heap: live, budget, report: this.report() })
  }

  /**
   * Ends monitoring: stops allocation sampling and, with `liveSamples`, measures the heap after a
   * collection once more (`liveEnd`). Returns the report. Call it when the pipeline has ended,
   * also after an error.
   */
  async finish (): Promise<HeapReport> {
    await this.#sampler?.stop()
    if (this.#started && this.#liveSamples) this.#liveEnd = this.#measureLive(undefined, this.#now(), 'end')
    const report = this.report()
    if (this.#registry !== undefined) {
      // Drop every registration and let the pending finalizers run, so that this monitor can be
      // garbage without a cleanup pending (which, in Node 20's V8, can stop all finalizers).
      for (const b of this.#boundaries) this.#registry.unregister(b.token)
      await new Promise(resolve => setImmediate(resolve))
      await new Promise(resolve => setImmediate(resolve))
    }
    return report
  }

  /** What was measured so far (usable while the pipeline runs). */
  report (): HeapReport {
    const bs = this.#boundaries
    const end = this.#end ?? this.#now()
    const stages = bs.map((b, i): StageReport => {
      const prev = bs[i - 1]
      const selfMs = prev === undefined ? b.inclusiveMs : b.inclusiveMs - prev.inclusiveMs - prev.overheadMs
      return {
        name: b.name,
        unit: b.unit,
        inUnit: prev?.unit,
        batches: b.batches,
        in: prev?.items,
        out: b.items,
        dropped: b.drops?.(),
        selfMs: Math.max(0, selfMs),
        heapPeak: b.heapPeak,
        livePeak: b.livePeak < 0 ? undefined : b.livePeak
      }
    })
    const last = bs[bs.length - 1]
    const totalMs = this.#started ? end - this.#start : 0
    return {
      stages,
      sinkMs: last === undefined ? 0 : Math.max(0, totalMs - last.inclusiveMs - last.overheadMs),
      totalMs,
      heapPeak: this.#heapPeak,
      liveStart: this.#liveStart,
      livePeak: this.#livePeak,
      livePeakAt: this.#livePeakAt,
      liveEnd: this.#liveEnd,
      liveSamples: this.#liveCount,
      monitorMs: this.#monitorMs,
      maxHeap: this.#budget,
      series: this.#series?.data()
    }
  }
}

/**
 * A {@link HeapMonitor}; see there. Options are checked here (a TypeError names the bad one).
 *
 * @example
 * ```ts
 * const monitor = heapMonitor({ maxHeap: 32, gcEvery: 1000 })
 * for await (const batch of monitor.pipe(fromFile('in.csv'), lines(), parseCsv({ columns }))) { ... }
 * ```
 */
export function heapMonitor (options: HeapCheckOptions = {}): HeapMonitor {
  return new HeapMonitor(options)
}

/** `parseCsvStage` → `parseCsv`; an anonymous function → `stage N`. */
export function stageName (fn: { name: string }, position: number): string {
  const name = fn.name.replace(/^bound /, '').replace(/Stage$/, '')
  return name === '' ? `stage ${position}` : name
}

/** Reads a stage's drop counters from its `stats`, when it has any of the known ones. */
export function dropsOf (stage: unknown): (() => number) | undefined {
  const stats = (stage as { stats?: Record<string, unknown> }).stats
  if (stats === null || typeof stats !== 'object') return undefined
  const keys = ['tooLong', 'malformed', 'dropped', 'noTime', 'lateDropped'].filter(k => typeof stats[k] === 'number')
  if (keys.length === 0) return undefined
  return () => keys.reduce((sum, k) => sum + (stats[k] as number), 0)
}

/** The name of a source's iterator function (`fromFileSource`), to charge its allocations to `source`. */
export function sourceFrame (source: AsyncIterable<unknown>): string | undefined {
  const fn = (source as { [Symbol.asyncIterator]?: { name?: string } })[Symbol.asyncIterator]
  const name = fn?.name
  return typeof name === 'string' && name !== '' && name !== '[Symbol.asyncIterator]' ? name : undefined
}

function unitOf (batch: unknown): BatchUnit {
  if (batch instanceof Uint8Array) return 'bytes'
  if (typeof batch === 'string') return 'chars'
  if (typeof (batch as { length?: unknown })?.length === 'number') return 'records'
  return 'items'
}

function countOf (batch: unknown): number {
  if (batch instanceof Uint8Array) return batch.byteLength
  const n = (batch as { length?: unknown })?.length
  return typeof n === 'number' ? n : 1
}
