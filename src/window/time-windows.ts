// The engine of tumbling (by time) and sliding windows: windows [start, start + size) at every
// multiple of `slide` since the epoch, closed when the watermark (largest event time minus the
// allowed lateness, or the idle wall-clock estimate) reaches their end.
import type { RecordBatch } from '../batch/record-batch.js'
import type { SensorRecord } from '../types.js'
import { BatchKeys, type Engine, KeyState, SlotStates, type LatePolicy, newAccumulators, plainAccumulators, numbersOf, type Numbers, readersOf, type Readers, type Results, type Slot, type TimeSpec, type WindowSpec, type WindowStats } from './common.js'
import { type AccumulatorNeeds, type FieldAccumulator, widen } from './aggregates.js'
import { Recency } from './lru.js'
import { timeOf, type TimeUnit } from './time.js'

/** Most stale window states kept for reuse (see SlotStates). */
const POOL = 4096
// Records per key and window below which cachedRows() widens min and max without a branch: a
// branch mispredicted at about 2·H(r)/r of r records costs more than the select below about 50.
const FEW_PER_KEY = 48
/** Most closed windows' SlotStates kept for reuse: windows close one at a time. */
const SPARE = 4


/**
 * Makes the per-run engine. Bounds: at most `maxKeys` open window states (the least recently
 * updated is flushed early past it), and with `late: 'update'` at most `maxKeys` closed ones kept
 * for corrections (oldest window forgotten first). Open windows number at most
 * (allowedLateness + size) / slide + 1, since every open window ends after the watermark and
 * starts at or before the largest event time.
 */
export function timeWindowEngine (spec: WindowSpec, time: TimeSpec, size: number, slide: number, stats: WindowStats): () => Engine {
  return () => new TimeWindows(spec, time, size, slide, stats)
}

// A class rather than closures: its numbers live unboxed in fields, and every run shares one
// optimised `ingest` (closures made per run would each carry their own call targets).
class TimeWindows implements Engine {
  readonly #size: number
  readonly #slide: number
  readonly #lateness: number
  readonly #late: LatePolicy
  readonly #onLate: ((record: SensorRecord) => void) | undefined
  readonly #keyFields: string[]
  readonly #fields: string[]
  readonly #needs: AccumulatorNeeds[]
  readonly #spare: SlotStates[] = []
  readonly #poolable: boolean
  // Every accumulator is plain and unordered: count, sum, min and max are all it keeps.
  readonly #inlineAccs: boolean
  readonly #maxKeys: number
  readonly #arrival: boolean
  readonly #timeField: string
  readonly #unit: TimeUnit
  readonly #stats: WindowStats
  // Whether every record must update the largest event time (see ingest).
  readonly #trackMax: boolean
  // Open windows, by start (they also end in that order: every window has the same size).
  // (Found by binary search: a Map by start, set and deleted once per window, would get a new
  // hash table in old space every few windows; see SlotStates.)
  readonly #slots: Slot[] = []
  // Open states by last update, for maxKeys eviction (per record it costs a stamp).
  readonly #lru: Recency<KeyState>
  #seq = 0
  #open = 0
  #maxT = -Infinity
  // The watermark as raised by the idle timer; the effective one is max(floor, maxT - lateness).
  #floor = -Infinity
  #nextEnd = Infinity
  // The window of the last record (tumbling): most records fall in it.
  #cur: Slot | undefined = undefined
  #curStart = NaN
  #curEnd = NaN
  // Bumped whenever states are dropped or the current window changes, so per-batch caches of
  // states go stale.
  #generation = 0
  // late: 'update' keeps closed windows, oldest forgotten first, at most maxKeys states.
  readonly #kept: Array<Slot | undefined> = []
  #keptHead = 0
  readonly #keptByStart = new Map<number, Slot>()
  #keptStates = 0
  #forgottenUpTo = -Infinity
  readonly #starts: number[] = []
  // Single-window mode (see #ingestSingle): tumbling, no lateness, no idle timer, no late
  // updates, resettable accumulators. On until a window holds maxKeys keys (then the general
  // engine takes over for the rest of the run).
  #single: boolean
  // Single-window mode: each key's one state (its home), reset when the key comes in a new
  // window; at most POOL of them besides the current window's (pruned between batches).
  readonly #homes = new Map<unknown, KeyState>()
  // Single-window mode: the current window's states, in order of arrival.
  readonly #live: LiveStates
  // Single-window mode: whether the last window held few records per key (see cachedRows).
  #fewPerKey = true

  constructor (spec: WindowSpec, time: TimeSpec, size: number, slide: number, stats: WindowStats) {
    this.#size = size
    this.#slide = slide
    this.#lateness = time.lateness
    this.#late = time.late
    this.#onLate = time.onLate
    this.#keyFields = spec.keyFields
    this.#fields = spec.fields
    this.#needs = spec.needs
    const accs = newAccumulators(spec.needs)
    this.#poolable = plainAccumulators(spec.needs)
    this.#inlineAccs = accs.every(a => a.plain && !a.ordered)
    this.#maxKeys = spec.maxKeys
    this.#arrival = time.time.kind === 'arrival'
    this.#timeField = time.time.kind === 'field' ? time.time.field : ''
    this.#unit = time.time.kind === 'field' ? time.time.unit : 'ms'
    this.#stats = stats
    this.#trackMax = time.lateness > 0 || time.idleTimeout !== undefined
    this.#single = slide === size && !this.#trackMax && time.late !== 'update' && this.#poolable
    this.#live = { states: [], n: 0, max: spec.maxKeys }
    const slots = this.#slots
    this.#lru = new Recency<KeyState>(function * () { for (const slot of slots) yield * slot.states.values() })
  }

  nextClose (): number { return this.#nextEnd }
  maxTime (): number { return this.#maxT }

  #watermark (): number { return Math.max(this.#floor, this.#maxT - this.#lateness) }

  advance (wm: number, out: Results): void {
    if (wm > this.#floor) this.#floor = wm
    if (this.#watermark() < this.#nextEnd) return
    if (this.#single) this.#closeSingle(out, false)
    else this.#closeDue(out)
  }

  flush (out: Results): void {
    if (this.#single) {
      this.#closeSingle(out, true)
      return
    }
    for (const slot of this.#slots) for (const st of slot.states.values()) out.add(st, slot.start, slot.end, true)
    this.#slots.length = 0
    this.#lru.relax(0, this.#maxKeys)
    this.#open = 0
    this.#nextEnd = Infinity
  }

  #timesOf (batch: RecordBatch, arrival: boolean, arrivalTime: number, unit: TimeUnit): Float64Array {
    const n = batch.length
    const out = new Float64Array(n)
    if (arrival) { out.fill(arrivalTime); return out }
    const read = batch.reader(this.#timeField)
    for (let i = 0; i < n; i++) out[i] = timeOf(read(i), unit)
    return out
  }

  ingest (batch: RecordBatch, out: Results, arrivalTime: number): void {
    const n = batch.length
    const stats = this.#stats
    const arrival = this.#arrival
    const unit = this.#unit
    // Per batch: unboxed columns where the batch has them, readers otherwise.
    // The loop always reads times from a Float64Array, so `t` stays an unboxed double: merging a
    // typed-array read with a call's result would box it on every record. Without a numeric time
    // column (arrival time, seconds, ISO strings, row batches) the array is filled here first.
    const times = (!arrival && unit === 'ms' ? batch.numbers(this.#timeField) : undefined) ?? this.#timesOf(batch, arrival, arrivalTime, unit)
    const keys = new BatchKeys(batch, this.#keyFields)
    const nums = numbersOf(batch, this.#fields)
    const readers = readersOf(batch, this.#fields)
    if (this.#slide !== this.#size) {
      for (let i = 0; i < n; i++) {
        const t = times[i]!
        if (t !== t) stats.noTime++
        else this.#addSliding(batch, i, t, keys, nums, readers, out)
      }
      return
    }
    let from = 0
    if (this.#single) {
      from = this.#ingestSingle(batch, out, times, keys, nums, readers)
      if (from >= n) return
    }
    // A dictionary-encoded key is looked up once per distinct value per batch, not per record:
    // stateById caches the state of each dictionary id in the current window until the
    // generation moves on (see KeyState.gen).
    const keyIds = keys.dict?.ids
    const { stateById } = keys
    const L = this.#lateness
    const size = this.#size
    const lru = this.#lru
    // With no lateness and no idle timer, a record inside the current window [cs, ce) cannot
    // change any decision, so only records outside it update the largest event time: a window
    // that an earlier record entered has its start as a lower bound of the maximum, every older
    // window (ending at or before that start) is closed, and no window ends inside (cs, ce).
    // That saves a loop-carried max per record on the hot path.
    const trackMax = this.#trackMax
    // The loop works on locals, written back before anything that reads the fields and read
    // again after anything that may change them.
    let mt = this.#maxT
    let sq = this.#seq
    let cs = this.#curStart
    let ce = this.#curEnd
    let nextEnd = this.#nextEnd
    let gen = this.#generation
    let slot = this.#cur
    // The common row (see cachedRows) goes through a small loop of its own, which V8 optimizes
    // within milliseconds of the start: this function, with every rare path inlined, takes it
    // 30 ms, and runs unoptimized meanwhile. (With a carried maximum or an LRU order to keep,
    // every row takes the general path below.)
    const fast = keyIds !== undefined && !trackMax && this.#inlineAccs && nums.every(c => c !== undefined)
    for (let i = from; i < n; i++) {
      if (fast && !lru.on && !(mt - L >= nextEnd)) {
        const j = cachedRows(i, n, times, cs, ce, keyIds, stateById, gen, nums as Float64Array[], sq, undefined, true)
        if (j > i) {
          sq += j - i
          stats.accepted += j - i
          i = j
          if (i >= n) break
        }
      }
      const t = times[i]!
      if (t !== t) { stats.noTime++; continue }
      if (!(t >= cs && t < ce)) {
        // Not in the window of the last record: a later window, an earlier one still open, or a closed one.
        const ws = t - (((t % size) + size) % size)
        this.#maxT = mt
        this.#seq = sq
        if (ws + size <= this.#watermark()) { this.#onClosed(batch, i, t, [ws], true, keys, nums, readers, out); continue }
        slot = this.#slotFor(ws)
        this.#cur = slot
        this.#curStart = cs = ws
        this.#curEnd = ce = ws + size
        gen = ++this.#generation
        nextEnd = this.#nextEnd
        mt = Math.max(mt, t)
      } else if (trackMax) {
        // Branch-free: equal timestamps make `t > mt` a coin toss for the branch predictor.
        mt = Math.max(mt, t)
      }
      if (mt - L >= nextEnd) {
        this.#maxT = mt
        // (The window of this record stays open: it ends after t - lateness.)
        this.#closeDue(out)
        gen = this.#generation
        nextEnd = this.#nextEnd
      }
      // (The key itself is needed only when the cache has no state for it.)
      const id = keyIds !== undefined ? keyIds[i]! : -1
      let st = id >= 0 ? stateById[id] : undefined
      if (st === undefined || st.gen !== gen) {
        const k = keys.key(i)
        const found = slot!.states.find(k)
        if (found !== undefined && slot!.states.isLive(found)) st = found
        else {
          st = this.#newState(slot!, k, keys, i, out, found)
          // An eviction moves the generation on and may drop another (emptied) window.
          gen = this.#generation
          nextEnd = this.#nextEnd
        }
        if (id >= 0) { stateById[id] = st; st.gen = gen }
      }
      st.count++
      st.touched = ++sq
      if (lru.on) lru.list.touch(st)
      addFields(st.accs, nums, readers, times, i)
      stats.accepted++
    }
    this.#maxT = mt
    this.#seq = sq
  }

  /**
   * Single-window mode. Tumbling windows with no lateness, no idle timer and no late updates have
   * one window open at a time: a record past it closes it, and one before it is late (its window
   * ended at or before the current one's start, which the watermark has passed). So each key needs
   * one state, its home, reset when the key comes in a new window, and a window is the list of the
   * states live in it: no map of states per window, no lookup per window and key, and closing a
   * window walks its list. The results are the general engine's, in the same order. Returns the
   * index of the first record not taken: n, or a record that would make the window hold more than
   * maxKeys keys, from which on the general engine (which flushes the least recently updated
   * state early) takes over for the rest of the run.
   */
  #ingestSingle (batch: RecordBatch, out: Results, times: Float64Array, keys: BatchKeys, nums: Numbers, readers: Readers): number {
    const n = batch.length
    const stats = this.#stats
    this.#pruneHomes()
    const keyIds = keys.dict?.ids
    // Per dictionary id, its key's home (BatchKeys' per-batch cache; homes do not change
    // within a batch).
    const homeById = keys.stateById
    const homes = this.#homes
    const live = this.#live
    const size = this.#size
    const fast = keyIds !== undefined && this.#inlineAccs && nums.every(c => c !== undefined)
    let sq = this.#seq
    let cs = this.#curStart
    let ce = this.#curEnd
    let gen = this.#generation
    for (let i = 0; i < n; i++) {
      if (fast) {
        const j = cachedRows(i, n, times, cs, ce, keyIds, homeById, gen, nums as Float64Array[], sq, live, this.#fewPerKey)
        if (j > i) {
          sq += j - i
          stats.accepted += j - i
          i = j
          if (i >= n) break
        }
      }
      const t = times[i]!
      if (t !== t) {
        stats.noTime++
        continue
      }
      if (!(t >= cs && t < ce)) {
        const ws = t - (t % size + size) % size
        this.#seq = sq
        if (ws + size <= this.#watermark()) {
          this.#onClosed(batch, i, t, [ws], true, keys, nums, readers, out)
          continue
        }
        // A later window (an earlier one would be closed): the current one closes.
        this.#closeSingle(out, false)
        this.#curStart = cs = ws
        this.#curEnd = ce = ws + size
        this.#nextEnd = ce
        if (t > this.#maxT) this.#maxT = t
        gen = this.#generation
      }
      const id = keyIds !== undefined ? keyIds[i]! : -1
      let st = id >= 0 ? homeById[id] : undefined
      if (st === undefined) {
        const k = keys.key(i)
        st = homes.get(k)
        if (st === undefined) {
          st = new KeyState(keys.values(i), k, newAccumulators(this.#needs))
          homes.set(k, st)
        }
        if (id >= 0) homeById[id] = st
      }
      if (st.gen !== gen) {
        if (live.n >= live.max) {
          this.#seq = sq
          this.#toGeneral()
          return i
        }
        enlist(live, st, gen)
      }
      st.count++
      st.touched = ++sq
      addFields(st.accs, nums, readers, times, i)
      stats.accepted++
    }
    this.#seq = sq
    return n
  }

  // Single-window mode: the current window's results (partial: at the end of input), then no
  // window is open.
  #closeSingle (out: Results, partial: boolean): void {
    const { states } = this.#live
    const cs = this.#curStart
    const ce = this.#curEnd
    let records = 0
    for (let j = 0; j < this.#live.n; j++) {
      records += states[j]!.count
      out.add(states[j]!, cs, ce, partial)
      states[j] = undefined
    }
    this.#fewPerKey = records < FEW_PER_KEY * this.#live.n
    this.#live.n = 0
    this.#generation++
    this.#curStart = this.#curEnd = NaN
    this.#nextEnd = Infinity
  }

  // Single-window mode, between batches: past POOL homes, only the live ones are kept (a key
  // that comes again gets a new home), so a stream of ever new keys cannot grow the map.
  #pruneHomes (): void {
    const homes = this.#homes
    const { states, n } = this.#live
    if (homes.size <= POOL + n) return
    homes.clear()
    for (let j = 0; j < n; j++) homes.set(states[j]!.mapKey, states[j]!)
  }

  // Leaves single-window mode: the current window's states become a window of the general
  // engine, in the same order, and the homes are dropped.
  #toGeneral (): void {
    this.#single = false
    const live = this.#live
    if (live.n > 0) {
      const slot = this.#slotFor(this.#curStart)
      for (let j = 0; j < live.n; j++) {
        const st = live.states[j]!
        live.states[j] = undefined
        st.gen = -1
        slot.states.add(st)
        this.#lru.added(st)
      }
      this.#open = live.n
      this.#cur = slot
    }
    live.n = 0
    this.#homes.clear()
    this.#generation++
  }

  #slotFor (start: number): Slot {
    const slots = this.#slots
    // The first slot starting at or after `start` (slots are in order of start).
    let lo = 0
    let hi = slots.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (slots[mid]!.start < start) lo = mid + 1
      else hi = mid
    }
    if (lo < slots.length && slots[lo]!.start === start) return slots[lo]!
    const slot = this.#newSlot(start)
    slots.splice(lo, 0, slot)
    this.#nextEnd = slots[0]!.end
    return slot
  }

  #newSlot (start: number): Slot {
    const slot: Slot = { start, end: start + this.#size, states: this.#spare.pop() ?? new SlotStates() }
    slot.states.reopen(slot)
    return slot
  }

  #dropSlot (slot: Slot): void {
    const slots = this.#slots
    slots.splice(slots.indexOf(slot), 1)
    this.#nextEnd = slots.length > 0 ? slots[0]!.end : Infinity
    if (slot === this.#cur) { this.#cur = undefined; this.#curStart = this.#curEnd = NaN }
  }

  #closeDue (out: Results): void {
    const wm = this.#watermark()
    const slots = this.#slots
    const lru = this.#lru
    while (slots.length > 0 && slots[0]!.end <= wm) {
      const slot = slots.shift()!
      // (An index loop: a generator per window cost 40 ms on 20M lines.) A window not kept for
      // late updates leaves its states stale, not pointing at it: a closed window they kept
      // alive would be promoted to old space.
      const keep = this.#late === 'update'
      const { list, end } = slot.states
      for (let j = 0; j < end; j++) {
        const st = list[j]
        if (st === null || st === undefined) continue
        lru.removed(st)
        out.add(st, slot.start, slot.end, false)
        if (!keep) st.slot = undefined
      }
      this.#open -= slot.states.size
      if (slot === this.#cur) { this.#cur = undefined; this.#curStart = this.#curEnd = NaN }
      if (keep) this.#keep(slot)
      else this.#recycle(slot)
    }
    this.#nextEnd = slots.length > 0 ? slots[0]!.end : Infinity
    lru.relax(this.#open, this.#maxKeys)
    this.#generation++
  }

  // A closed window's states (their results already copied out) go to a later window with their
  // keys, so a steady set of keys allocates nothing per window: see SlotStates. At most POOL stale
  // states are kept, in open windows and spare ones together.
  #recycle (slot: Slot): void {
    const spare = this.#spare
    if (spare.length >= SPARE) return
    let held = slot.states.map.size
    for (const s of this.#slots) held += s.states.map.size - s.states.size
    for (const s of spare) held += s.map.size
    if (held <= POOL) spare.push(slot.states)
  }

  #keep (slot: Slot): void {
    this.#kept.push(slot)
    this.#keptByStart.set(slot.start, slot)
    this.#keptStates += slot.states.size
    this.#trimKept()
  }

  // Forgets the oldest kept windows while more than maxKeys states are kept.
  #trimKept (): void {
    const kept = this.#kept
    while (this.#keptStates > this.#maxKeys && this.#keptHead < kept.length) {
      const old = kept[this.#keptHead]!
      kept[this.#keptHead++] = undefined
      this.#keptByStart.delete(old.start)
      this.#keptStates -= old.states.size
      if (old.start > this.#forgottenUpTo) this.#forgottenUpTo = old.start
    }
    if (this.#keptHead > 1024 && this.#keptHead * 2 > kept.length) { kept.splice(0, this.#keptHead); this.#keptHead = 0 }
  }

  // Past maxKeys: flush the least recently updated window state early. `target` is the window
  // about to receive a state, so it stays even if this leaves it empty.
  #evictOldest (out: Results, target: Slot): void {
    const st = this.#lru.oldest()!
    this.#lru.removed(st)
    this.#open--
    const slot = st.slot!
    slot.states.remove(st)
    this.#stats.earlyFlushes++
    out.add(st, slot.start, slot.end, true)
    if (slot.states.size === 0 && slot !== target) this.#dropSlot(slot)
    this.#generation++
  }

  // `stale`: what slot.states.find(k) gave, a state of key k that is not live in this window (an
  // eviction, which removes live states only, leaves it in the map).
  #newState (slot: Slot, k: unknown, keys: BatchKeys, i: number, out: Results, stale: KeyState | undefined): KeyState {
    if (this.#open >= this.#maxKeys) this.#evictOldest(out, slot)
    // A stale state of this key (see SlotStates) is revived when its accumulators can be reset;
    // its key values are this key's.
    const revive = stale !== undefined && this.#poolable
    const st = revive ? stale.reset() : new KeyState(keys.values(i), k, newAccumulators(this.#needs))
    slot.states.add(st, revive)
    this.#lru.added(st)
    this.#open++
    return st
  }

  #addTo (st: KeyState, t: number, nums: Numbers, readers: Readers, i: number): void {
    st.count++
    const accs = st.accs
    for (let f = 0; f < accs.length; f++) {
      const col = nums[f]
      if (col !== undefined) accs[f]!.addNumber(col[i]!, t)
      else accs[f]!.add(readers[f]!(i), t)
    }
  }

  // A record all of whose windows (`starts`) have closed, or, for a sliding window, the closed
  // ones among them (`whole` false: it went into its open ones).
  #onClosed (batch: RecordBatch, i: number, t: number, starts: number[], whole: boolean, keys: BatchKeys, nums: Numbers, readers: Readers, out: Results): void {
    const stats = this.#stats
    if (this.#late !== 'update') {
      if (!whole) return
      stats.late++
      if (this.#late === 'drop') stats.lateDropped++
      else this.#onLate!(batch.row(i))
      return
    }
    let applied = false
    const k = keys.key(i)
    for (const start of starts) {
      let slot = this.#keptByStart.get(start)
      if (slot === undefined) {
        // Older than the oldest window still kept: it cannot be corrected.
        if (start <= this.#forgottenUpTo) continue
        slot = { start, end: start + this.#size, states: new SlotStates() }
        slot.states.reopen(slot)
        this.#kept.push(slot)
        this.#keptByStart.set(start, slot)
      }
      let st = slot.states.get(k)
      if (st === undefined) {
        st = new KeyState(keys.values(i), k, newAccumulators(this.#needs))
        slot.states.add(st)
        this.#keptStates++
      } else st.seq++
      this.#addTo(st, t, nums, readers, i)
      out.add(st, slot.start, slot.end, false)
      stats.updates++
      applied = true
    }
    if (whole) {
      stats.late++
      if (applied) stats.accepted++
      else stats.lateDropped++
    }
    this.#trimKept()
  }

  // A sliding window's record goes into every window [s, s + size) that holds t: s runs down
  // from the last multiple of `slide` at or before t.
  #addSliding (batch: RecordBatch, i: number, t: number, keys: BatchKeys, nums: Numbers, readers: Readers, out: Results): void {
    const size = this.#size
    const slide = this.#slide
    const wm = this.#watermark()
    const last = t - (((t % slide) + slide) % slide)
    const starts = this.#starts
    starts.length = 0
    let k: unknown
    let added = false
    for (let s = last; s > t - size; s -= slide) {
      if (s + size <= wm) { starts.push(s); continue }
      const slot = this.#slotFor(s)
      if (!added) k = keys.key(i)
      const found = slot.states.find(k)
      const st = found !== undefined && slot.states.isLive(found) ? found : this.#newState(slot, k, keys, i, out, found)
      st.touched = ++this.#seq
      if (this.#lru.on) this.#lru.list.touch(st)
      this.#addTo(st, t, nums, readers, i)
      added = true
    }
    if (added) this.#stats.accepted++
    if (starts.length > 0) this.#onClosed(batch, i, t, starts.slice().reverse(), !added, keys, nums, readers, out)
    if (t > this.#maxT) {
      this.#maxT = t
      if (t - this.#lateness >= this.#nextEnd) this.#closeDue(out)
    }
  }
}

/**
 * Adds row i to a state's accumulators: field f from nums[f] when it is a numeric column, through
 * readers[f] otherwise. The plain case (count, sum, min, max) is inline, and the time is read
 * here from `times`: a call with two doubles would box them when it is not inlined.
 */
function addFields (accs: FieldAccumulator[], nums: Numbers, readers: Readers, times: Float64Array, i: number): void {
  for (let f = 0; f < accs.length; f++) {
    const col = nums[f]
    const a = accs[f]!
    if (col === undefined) { a.add(readers[f]!(i), times[i]!); continue }
    const v = col[i]!
    if (a.ordered || a.ext !== undefined) { a.addNumber(v, times[i]!); continue }
    if (v !== v) continue
    a.present++
    a.n++
    a.sum += v
    widen(a, v)
  }
}

/**
 * Single-window mode: the current window's states in order of arrival, `states[0..n)`, at most
 * `max` (the stage's maxKeys) of them.
 */
interface LiveStates {
  readonly states: Array<KeyState | undefined>
  n: number
  readonly max: number
}

// Single-window mode: a key's home state joins the current window (generation `gen`), emptied.
// (The caller has checked that the window has room for it.)
function enlist (live: LiveStates, st: KeyState, gen: number): void {
  st.reset()
  st.gen = gen
  live.states[live.n++] = st
}

/**
 * The hot path of a tumbling window's ingest, in both modes: rows i, i+1, ... while each one's
 * time falls in the current window [cs, ce), the cache holds its dictionary key's state
 * (stateById[id]) for this window (its gen is `gen`), and its fields are numeric columns for
 * plain accumulators. In single-window mode (`live` given) a key's home that is not in this
 * window yet joins it here, while the window has room: that is a key's first record in each
 * window, one record in sixteen on the reference job. Does what ingest's loops do for such a row
 * (`touched` numbered on from sq) and returns the first row it did not take, which they then
 * take. Kept small and free of rare paths so that it is optimized early in a run. With
 * `fewPerKey` (the last window held fewer than FEW_PER_KEY records per key, or not in
 * single-window mode) min and max are widened without a branch (widen()); with many records per
 * key and window, new extremes are rare and a branch is cheaper (1-minute windows on the 20M
 * fixture: 1.296 s branch-free, 1.266 s this way, 1.255 s with branches only; 1 s windows
 * gain 2 ns per record branch-free).
 */
function cachedRows (i: number, n: number, times: Float64Array, cs: number, ce: number, keyIds: Int32Array, stateById: Array<KeyState | undefined>, gen: number,
  nums: Float64Array[], sq: number, live: LiveStates | undefined, fewPerKey: boolean): number {
  const nf = nums.length
  for (; i < n; i++) {
    const t = times[i]!
    if (!(t >= cs && t < ce)) break
    const st = stateById[keyIds[i]!]
    if (st === undefined) break
    if (st.gen !== gen) {
      if (live === undefined || live.n >= live.max) break
      enlist(live, st, gen)
    }
    st.count++
    st.touched = ++sq
    const accs = st.accs
    for (let f = 0; f < nf; f++) {
      const v = nums[f]![i]!
      if (v !== v) continue
      const a = accs[f]!
      a.present++
      a.n++
      a.sum += v
      if (fewPerKey) widen(a, v)
      else {
        if (v < a.min) a.min = v
        if (v > a.max) a.max = v
      }
    }
  }
  return i
}
