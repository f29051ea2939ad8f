import type { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord } from '../types.js'
import type { AccumulatorNeeds } from './aggregates.js'
import {
  BatchKeys, driveWindows, type Engine, type EventTimeOptions, KeyState, type LatePolicy, newAccumulators, newStats, plainAccumulators, numbersOf, type Numbers, readersOf, type Readers, ResultLayout, type Results,
  timeSpec, type TimeSpec, type WindowOptions, windowSpec, type WindowSpec, type WindowStage, type WindowStats
} from './common.js'
import { parseDuration } from './duration.js'
import { Recency } from './lru.js'
import { timeOf, type TimeUnit } from './time.js'

/** Options of {@link session}: the gap, and those every event-time window takes. */
export interface SessionOptions extends WindowOptions, EventTimeOptions {
  /** The gap that ends a session: `'30s'` or milliseconds. A key's records closer than this in event time share a session. */
  gap: string | number
}

/**
 * Groups each key's records into sessions by event time: a session holds records each less than
 * `gap` after another, and ends `gap` after its last record. Emits one record per session:
 * `{ window, end, ...keys, ...aggregates }` with `window` the first event time and `end` the last
 * plus `gap`, once the watermark (largest event time seen minus `allowedLateness`) reaches `end`.
 * An out-of-order record within the lateness joins, extends or bridges (merges) open sessions. A
 * record whose own session would already have closed (`t + gap` at or before the watermark) is
 * late and follows `late`; with `'update'` it is added to the emitted session it falls in, if one
 * is still held, and that session is emitted again. Open sessions are flushed (partial) at the end.
 *
 * Holds at most `maxKeys` open sessions, each of constant size (past it the least recently
 * updated is flushed early), in a heap ordered by end, and with `late: 'update'` at most
 * `maxKeys` emitted ones (oldest forgotten first).
 *
 * @example
 * ```ts
 * const w = session({ gap: '30s', time: 'ts', key: 'sensor', aggregates: 'count,max', value: 'temp' })
 * ```
 */
export function session (options: SessionOptions): WindowStage {
  if (options === null || typeof options !== 'object') throw new TypeError('session needs options: { gap, time }')
  if (options.gap === undefined) throw new TypeError('"gap" (the silence that ends a session) is needed')
  const gap = parseDuration(options.gap, 'gap')
  const time = timeSpec(options, 'gap')
  const spec = windowSpec(options)
  const stats = newStats()
  const layout = new ResultLayout(spec, true, time.late === 'update', stats)

  async function * sessionStage (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch> {
    yield * driveWindows(batches, new Sessions(spec, time, gap, stats), layout, time)
  }
  return Object.assign(sessionStage, { stats })
}

/** Most closed sessions kept for reuse. */
const POOL = 4096

class Session extends KeyState {
  /** First and last event time. */
  start = 0
  last = 0
  /** Position in the heap (-1: not in it) and the end it is filed under (at most the real end). */
  heapIndex = -1
  heapKey = 0
}


class Sessions implements Engine {
  readonly #gap: number
  readonly #lateness: number
  readonly #late: LatePolicy
  readonly #onLate: ((record: SensorRecord) => void) | undefined
  readonly #keyFields: string[]
  readonly #fields: string[]
  readonly #needs: AccumulatorNeeds[]
  readonly #maxKeys: number
  readonly #arrival: boolean
  readonly #timeField: string
  readonly #unit: TimeUnit
  readonly #stats: WindowStats
  /**
   * Each key's open sessions, by start. A key whose last session closed keeps its (empty) list
   * until empty lists outnumber the others (and 1,024): deleting and adding the key again for
   * each session would give this long-lived Map a new hash table in V8's old space every few
   * sessions (see SlotStates in common.ts).
   */
  readonly #byKey = new Map<unknown, Session[]>()
  #emptyLists = 0
  /** Closed sessions with plain accumulators, reused for new ones (at most POOL). */
  readonly #pool: Session[] = []
  readonly #poolable: boolean
  /** Every open session, a min-heap on heapKey: the next to close is on top. */
  readonly #heap: Session[] = []
  readonly #lru: Recency<Session>
  #seq = 0
  #maxT = -Infinity
  #floor = -Infinity
  // late: 'update': emitted sessions kept for corrections, oldest forgotten first.
  readonly #kept = new Map<unknown, Session[]>()
  readonly #keptOrder: Array<Session | undefined> = []
  #keptHead = 0
  #keptCount = 0

  constructor (spec: WindowSpec, time: TimeSpec, gap: number, stats: WindowStats) {
    this.#gap = gap
    this.#lateness = time.lateness
    this.#late = time.late
    this.#onLate = time.onLate
    this.#keyFields = spec.keyFields
    this.#fields = spec.fields
    this.#needs = spec.needs
    this.#maxKeys = spec.maxKeys
    this.#arrival = time.time.kind === 'arrival'
    this.#timeField = time.time.kind === 'field' ? time.time.field : ''
    this.#unit = time.time.kind === 'field' ? time.time.unit : 'ms'
    this.#stats = stats
    this.#lru = new Recency<Session>(() => this.#heap)
    this.#poolable = plainAccumulators(spec.needs)
  }

  nextClose (): number {
    const heap = this.#heap
    // Refile a top filed under an end it has since moved past, so the idle timer is set exactly.
    while (heap.length > 0 && heap[0]!.last + this.#gap > heap[0]!.heapKey) { heap[0]!.heapKey = heap[0]!.last + this.#gap; this.#down(0) }
    return heap.length > 0 ? heap[0]!.heapKey : Infinity
  }
  maxTime (): number { return this.#maxT }
  #watermark (): number { return Math.max(this.#floor, this.#maxT - this.#lateness) }

  advance (wm: number, out: Results): void {
    if (wm > this.#floor) this.#floor = wm
    this.#closeDue(out)
  }

  // The open sessions at the end, in order of start (a key's empty list keeps its place in the
  // Map, so the Map's order is not the order in which keys last opened a session).
  flush (out: Results): void {
    const open: Session[] = []
    for (const sessions of this.#byKey.values()) for (const s of sessions) open.push(s)
    open.sort((a, b) => a.start - b.start)
    for (const s of open) out.add(s, s.start, s.last + this.#gap, true)
    this.#byKey.clear()
    this.#emptyLists = 0
    this.#heap.length = 0
    this.#lru.relax(0, this.#maxKeys)
  }

  ingest (batch: RecordBatch, out: Results, arrivalTime: number): void {
    const n = batch.length
    const stats = this.#stats
    const gap = this.#gap
    const arrival = this.#arrival
    const unit = this.#unit
    const times = !arrival && unit === 'ms' ? batch.numbers(this.#timeField) : undefined
    const timeReader = !arrival && times === undefined ? batch.reader(this.#timeField) : undefined
    const keys = new BatchKeys(batch, this.#keyFields)
    const nums = numbersOf(batch, this.#fields)
    const readers = readersOf(batch, this.#fields)
    for (let i = 0; i < n; i++) {
      const t = times !== undefined ? times[i]! : arrival ? arrivalTime : timeOf(timeReader!(i), unit)
      if (t !== t) { stats.noTime++; continue }
      if (t + gap <= this.#watermark()) { this.#handleLate(batch, i, t, keys, nums, readers, out); continue }
      const k = keys.key(i)
      let sessions = this.#byKey.get(k)
      if (sessions === undefined) { sessions = []; this.#byKey.set(k, sessions); this.#emptyLists++ }
      // The sessions the record's own [t, t + gap) overlaps: it joins the first and bridges the rest into it.
      let target: Session | undefined
      for (let j = 0; j < sessions.length; j++) {
        const s = sessions[j]!
        if (!(s.start < t + gap && t < s.last + gap)) continue
        if (target === undefined) { target = s; continue }
        this.#merge(target, s)
        sessions.splice(j--, 1)
      }
      if (target === undefined) {
        if (this.#heap.length >= this.#maxKeys) {
          this.#evictOldest(out)
          // A sweep of empty lists in the eviction may have dropped this key's.
          if (this.#byKey.get(k) !== sessions) { this.#byKey.set(k, sessions); this.#emptyLists++ }
        }
        const pooled = this.#pool.pop()
        target = pooled !== undefined ? pooled.reuse(keys.values(i), k) : new Session(keys.values(i), k, newAccumulators(this.#needs))
        target.start = target.last = t
        let j = sessions.length
        while (j > 0 && sessions[j - 1]!.start > t) j--
        if (j === 0 && sessions.length === 0) this.#emptyLists--
        sessions.splice(j, 0, target)
        this.#push(target, t + gap)
        this.#lru.added(target)
      } else {
        if (t < target.start) target.start = t
        if (t > target.last) target.last = t
      }
      this.#addTo(target, t, nums, readers, i)
      target.touched = ++this.#seq
      if (this.#lru.on) this.#lru.list.touch(target)
      stats.accepted++
      if (t > this.#maxT) {
        this.#maxT = t
        if (t - this.#lateness >= this.nextClose()) this.#closeDue(out)
      }
    }
  }

  #addTo (s: Session, t: number, nums: Numbers, readers: Readers, i: number): void {
    s.count++
    const accs = s.accs
    for (let f = 0; f < accs.length; f++) {
      const col = nums[f]
      if (col !== undefined) accs[f]!.addNumber(col[i]!, t)
      else accs[f]!.add(readers[f]!(i), t)
    }
  }

  // Folds `s` into `into` (a record bridged them) and forgets `s`.
  #merge (into: Session, s: Session): void {
    into.count += s.count
    for (let f = 0; f < into.accs.length; f++) into.accs[f]!.merge(s.accs[f]!)
    if (s.start < into.start) into.start = s.start
    if (s.last > into.last) into.last = s.last
    this.#removeAt(s.heapIndex)
    this.#lru.removed(s)
  }

  #evictOldest (out: Results): void {
    const s = this.#lru.oldest()!
    this.#lru.removed(s)
    this.#removeAt(s.heapIndex)
    this.#unlist(s)
    this.#stats.earlyFlushes++
    out.add(s, s.start, s.last + this.#gap, true)
  }

  #unlist (s: Session): void {
    const sessions = this.#byKey.get(s.mapKey)!
    sessions.splice(sessions.indexOf(s), 1)
    if (sessions.length === 0 && ++this.#emptyLists > 1024 && this.#emptyLists * 2 > this.#byKey.size) {
      for (const [k, l] of this.#byKey) if (l.length === 0) this.#byKey.delete(k)
      this.#emptyLists = 0
    }
  }

  // A closed session's results are copied out: with plain accumulators it makes the next one.
  #recycle (s: Session): void {
    if (this.#poolable && this.#pool.length < POOL) this.#pool.push(s)
  }

  #closeDue (out: Results): void {
    const wm = this.#watermark()
    const heap = this.#heap
    const gap = this.#gap
    while (heap.length > 0 && heap[0]!.heapKey <= wm) {
      const s = heap[0]!
      const end = s.last + gap
      // Filed under an end it has since moved past: file it again.
      if (end > s.heapKey) { s.heapKey = end; this.#down(0); continue }
      this.#removeAt(0)
      this.#lru.removed(s)
      this.#unlist(s)
      out.add(s, s.start, end, false)
      if (this.#late === 'update') this.#keep(s)
      else this.#recycle(s)
    }
    this.#lru.relax(heap.length, this.#maxKeys)
  }

  #handleLate (batch: RecordBatch, i: number, t: number, keys: BatchKeys, nums: Numbers, readers: Readers, out: Results): void {
    const stats = this.#stats
    stats.late++
    if (this.#late === 'drop') { stats.lateDropped++; return }
    if (this.#late === 'emit') { this.#onLate!(batch.row(i)); return }
    const gap = this.#gap
    const s = this.#kept.get(keys.key(i))?.find(s => s.start < t + gap && t < s.last + gap)
    if (s === undefined) { stats.lateDropped++; return }
    if (t < s.start) s.start = t
    if (t > s.last) s.last = t
    this.#addTo(s, t, nums, readers, i)
    s.seq++
    out.add(s, s.start, s.last + gap, false)
    stats.updates++
    stats.accepted++
  }

  #keep (s: Session): void {
    let list = this.#kept.get(s.mapKey)
    if (list === undefined) { list = []; this.#kept.set(s.mapKey, list) }
    list.push(s)
    this.#keptOrder.push(s)
    this.#keptCount++
    const order = this.#keptOrder
    while (this.#keptCount > this.#maxKeys) {
      const old = order[this.#keptHead]!
      order[this.#keptHead++] = undefined
      this.#keptCount--
      const l = this.#kept.get(old.mapKey)!
      l.splice(l.indexOf(old), 1)
      if (l.length === 0) this.#kept.delete(old.mapKey)
    }
    if (this.#keptHead > 1024 && this.#keptHead * 2 > order.length) { order.splice(0, this.#keptHead); this.#keptHead = 0 }
  }

  // The heap: a binary min-heap on heapKey; each session knows its index.
  #push (s: Session, key: number): void {
    s.heapKey = key
    s.heapIndex = this.#heap.length
    this.#heap.push(s)
    this.#up(s.heapIndex)
  }

  #removeAt (i: number): void {
    const heap = this.#heap
    const s = heap[i]!
    const last = heap.pop()!
    s.heapIndex = -1
    if (last === s) return
    heap[i] = last
    last.heapIndex = i
    this.#down(i)
    this.#up(last.heapIndex)
  }

  #up (i: number): void {
    const heap = this.#heap
    const s = heap[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = heap[p]!
      if (parent.heapKey <= s.heapKey) break
      heap[i] = parent
      parent.heapIndex = i
      i = p
    }
    heap[i] = s
    s.heapIndex = i
  }

  #down (i: number): void {
    const heap = this.#heap
    const n = heap.length
    const s = heap[i]!
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && heap[c + 1]!.heapKey < heap[c]!.heapKey) c++
      const child = heap[c]!
      if (child.heapKey >= s.heapKey) break
      heap[i] = child
      child.heapIndex = i
      i = c
    }
    heap[i] = s
    s.heapIndex = i
  }
}
