import { decodeUnits, type Units } from './line-batch.js'

/**
 * A direct-mapped cache of short strings cut from a batch's code units, so a repeated field (a
 * sensor id on every line) costs a hash and a compare instead of a new string each time, and a
 * string column can be dictionary-encoded per batch ({@link idOf}). Bounded: `slots` entries of
 * at most `maxLength` chars; a colliding string replaces the old one.
 */
export class StringInterner {
  readonly #slots: Array<string | undefined>
  readonly #mask: number
  readonly #maxLength: number
  // Per-batch dictionary ids of the slots, valid while slotGen[slot] === gen.
  readonly #slotId: Int32Array
  readonly #slotGen: Int32Array
  #gen = 0
  #dict: string[] = []

  constructor (slots = 4096, maxLength = 64) {
    if (!Number.isInteger(Math.log2(slots))) throw new TypeError('"slots" must be a power of two')
    this.#slots = new Array<string | undefined>(slots).fill(undefined)
    this.#mask = slots - 1
    this.#maxLength = maxLength
    this.#slotId = new Int32Array(slots)
    this.#slotGen = new Int32Array(slots)
  }

  /** Starts a new dictionary (one per batch) for {@link idOf}; returns it. */
  startDictionary (): string[] {
    this.#gen++
    this.#dict = []
    return this.#dict
  }

  /**
   * The index in the current dictionary of the string units[from, to), adding it when it is not
   * there yet. Equal strings usually share an index; a string the cache does not hold (long,
   * non-ASCII, or pushed out by a colliding one) may get another index holding an equal string.
   */
  idOf (units: Units, from: number, to: number, hash: number, any: number): number {
    const dict = this.#dict
    const n = to - from
    if (n > this.#maxLength || any > 0x7f) { dict.push(decodeUnits(units, from, to)); return dict.length - 1 }
    const h = hash ^ n
    const slot = (h ^ (h >>> 15)) & this.#mask
    const hit = this.#slots[slot]
    if (hit !== undefined && hit.length === n) {
      let i = 0
      while (i < n && hit.charCodeAt(i) === units[from + i]) i++
      if (i === n) {
        if (this.#slotGen[slot] === this.#gen) return this.#slotId[slot]!
        this.#slotGen[slot] = this.#gen
        this.#slotId[slot] = dict.length
        dict.push(hit)
        return dict.length - 1
      }
    }
    const s = decodeUnits(units, from, to)
    this.#slots[slot] = s
    this.#slotGen[slot] = this.#gen
    this.#slotId[slot] = dict.length
    dict.push(s)
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
    const h = hash ^ n
    const slot = (h ^ (h >>> 15)) & this.#mask
    const hit = this.#slots[slot]
    if (hit !== undefined && hit.length === n) {
      let i = 0
      while (i < n && hit.charCodeAt(i) === units[from + i]) i++
      if (i === n) return hit
    }
    const s = decodeUnits(units, from, to)
    this.#slots[slot] = s
    return s
  }
}

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
