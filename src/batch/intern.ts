import { decodeUnits, type Units } from './line-batch.js'

/**
 * A cache of short strings cut from a batch's code units, so a repeated field (a sensor id on
 * every line) costs a hash and a compare instead of a new string each time, and a string column
 * can be dictionary-encoded per batch ({@link idOf}). Bounded: `slots` entries of at most
 * `maxLength` chars; each string has two candidate slots (two-way, so that two frequent strings
 * that hash to one slot do not keep replacing each other), and a new string replaces an old one
 * when both of its slots are taken.
 */
export class StringInterner {
  readonly #slots: Array<string | undefined>
  readonly #mask: number
  readonly #shift: number
  readonly #maxLength: number
  // Per slot: the cached string's length (-1: empty), and its bytes when it has at most KEY
  // bytes, so that a lookup compares bytes with bytes, four at a time.
  readonly #lens: Int32Array
  readonly #keys: Uint8Array
  readonly #keyView: DataView
  // Per-batch dictionary ids of the slots, valid while slotGen[slot] === gen.
  readonly #slotId: Int32Array
  readonly #slotGen: Int32Array
  #gen = 1 // slotGen 0: in no dictionary
  #dict: string[] = []

  constructor (slots = 4096, maxLength = 64) {
    if (!Number.isInteger(Math.log2(slots))) throw new TypeError('"slots" must be a power of two')
    this.#slots = new Array<string | undefined>(slots).fill(undefined)
    this.#mask = slots - 1
    this.#shift = 32 - Math.log2(slots)
    this.#maxLength = maxLength
    this.#lens = new Int32Array(slots).fill(-1)
    this.#keys = new Uint8Array(slots * KEY)
    this.#keyView = new DataView(this.#keys.buffer)
    this.#slotId = new Int32Array(slots)
    this.#slotGen = new Int32Array(slots)
  }

  /** Starts a new dictionary (one per batch) for {@link idOf}; returns it. */
  startDictionary (): string[] {
    this.#gen++
    this.#dict = ONE_STRING.slice(1)
    return this.#dict
  }

  /**
   * The index in the current dictionary of the string units[from, to), adding it when it is not
   * there yet. Equal strings usually share an index; a string the cache does not hold (long,
   * non-ASCII, or pushed out by colliding ones) may get another index holding an equal string.
   * `hash` and `any` are as for {@link getHashed}; `view`, a DataView of the same bytes as
   * `units`, lets the compare with a cached string read four bytes at a time.
   */
  idOf (units: Units, from: number, to: number, hash: number, any: number, view?: DataView): number {
    const n = to - from
    let slot = -1
    if (n <= this.#maxLength && any <= 0x7f) {
      slot = this.#find(units, from, n, hash ^ n, view)
      if (slot >= 0 && this.#slotGen[slot] === this.#gen) return this.#slotId[slot]!
      if (slot < 0) slot = this.#store(units, from, to, hash ^ n)
    }
    // One path for every string added to the dictionary: a path first taken in the second batch
    // would cost a deoptimization of the parser this is inlined in.
    const dict = this.#dict
    if (slot >= 0) {
      this.#slotGen[slot] = this.#gen
      this.#slotId[slot] = dict.length
    }
    dict.push(slot >= 0 ? this.#slots[slot]! : decodeUnits(units, from, to))
    return dict.length - 1
  }

  /** The string of units[from, to), from the cache when it is there. */
  get (units: Units, from: number, to: number): string {
    let h = 0
    let any = 0
    for (let i = from; i < to; i++) { const b = units[i]!; h = Math.imul(h ^ b, 16777619); any |= b }
    return this.getHashed(units, from, to, h, any)
  }

  /**
   * As {@link get}, with `hash` already computed by {@link hashStep} over units[from, to), and
   * `any` the OR of those bytes. Only ASCII is cached: a byte then equals its char, so comparing
   * bytes with a cached string's chars is exact.
   */
  getHashed (units: Units, from: number, to: number, hash: number, any: number): string {
    const n = to - from
    if (n > this.#maxLength || any > 0x7f) return decodeUnits(units, from, to)
    const slot = this.#find(units, from, n, hash ^ n, undefined)
    if (slot >= 0) return this.#slots[slot]!
    return this.#slots[this.#store(units, from, to, hash ^ n)]!
  }

  // The slot holding units[from, from + n) (ASCII, at most maxLength), or -1.
  #find (units: Units, from: number, n: number, h: number, view: DataView | undefined): number {
    const lens = this.#lens
    const slot = (h ^ (h >>> 15)) & this.#mask
    if (lens[slot] === n && this.#holds(slot, units, from, n, view)) return slot
    const slot2 = (Math.imul(h, 0x9e3779b1) >>> this.#shift) & this.#mask
    if (lens[slot2] === n && this.#holds(slot2, units, from, n, view)) return slot2
    return -1
  }

  // Whether slot, of length n, holds the bytes units[from, from + n).
  #holds (slot: number, units: Units, from: number, n: number, view: DataView | undefined): boolean {
    if (n > KEY) {
      const s = this.#slots[slot]!
      let i = 0
      while (i < n && s.charCodeAt(i) === units[from + i]) i++
      return i === n
    }
    const off = slot * KEY
    // Whole words, then the last bytes. One way for every length: a branch by length, never
    // taken until a string of another length comes, would deoptimize the parser this is
    // inlined in when it is taken.
    let k = 0
    if (view !== undefined) {
      const kv = this.#keyView
      for (; k + 4 <= n; k += 4) if (view.getInt32(from + k, true) !== kv.getInt32(off + k, true)) return false
    }
    const keys = this.#keys
    for (; k < n; k++) if (keys[off + k] !== units[from + k]) return false
    return true
  }

  // Caches the string units[from, to) (ASCII, at most maxLength) in one of its two slots: an
  // empty one, else the first. Returns the slot.
  #store (units: Units, from: number, to: number, h: number): number {
    const n = to - from
    let slot = (h ^ (h >>> 15)) & this.#mask
    if (this.#lens[slot] >= 0) {
      const slot2 = (Math.imul(h, 0x9e3779b1) >>> this.#shift) & this.#mask
      if (this.#lens[slot2] < 0) slot = slot2
    }
    this.#slots[slot] = decodeUnits(units, from, to)
    this.#lens[slot] = n
    if (n <= KEY) this.#keys.set(units.subarray(from, to), slot * KEY)
    // A slot taken over is no longer in this batch's dictionary under the old string's id.
    this.#slotGen[slot] = 0
    return slot
  }
}

// Bytes of a cached string kept for the byte compare (longer ones compare with the string).
const KEY = 16
// Sliced to make each dictionary: an empty array that already holds strings' elements kind. A
// `[]` would change its map at its first push, and each batch's would then fail the map check of
// the code optimized for the batch before (a deoptimization per batch, until V8 adapts).
const ONE_STRING = ['']

/** One step of the interner's hash (FNV-1a style), for callers that hash while they scan. */
export function hashStep (h: number, c: number): number {
  return Math.imul(h ^ c, 16777619)
}

/**
 * A copy of s that does not point into a larger string. V8 makes a slice of 13 or more chars a
 * view of its parent, which would keep a whole 1 MiB chunk alive for as long as the slice lives.
 */
export function flat (s: string): string {
  if (s.length < 13) return s
  return Buffer.from(s, 'utf16le').toString('utf16le')
}
