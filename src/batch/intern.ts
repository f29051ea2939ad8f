/**
 * A direct-mapped cache of short strings cut from larger texts, so a repeated field (a sensor id
 * on every line) costs a hash and a compare instead of a new string each time, and the strings it
 * hands out never pin the large text they came from. Bounded: `slots` entries of at most
 * `maxLength` chars; a colliding string replaces the old one.
 */
export class StringInterner {
  readonly #slots: Array<string | undefined>
  readonly #mask: number
  readonly #maxLength: number

  constructor (slots = 4096, maxLength = 64) {
    this.#slots = new Array<string | undefined>(slots).fill(undefined)
    this.#mask = slots - 1
    this.#maxLength = maxLength
  }

  /** The string text[from, to), from the cache when it is there. */
  get (text: string, from: number, to: number): string {
    let h = 0
    for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
    return this.getHashed(text, from, to, h)
  }

  /** As {@link get}, with `hash` already computed by {@link hashStep} over text[from, to). */
  getHashed (text: string, from: number, to: number, hash: number): string {
    const n = to - from
    if (n > this.#maxLength) return flat(text.slice(from, to))
    const h = hash ^ n
    const slot = (h ^ (h >>> 15)) & this.#mask
    const hit = this.#slots[slot]
    if (hit !== undefined && hit.length === n) {
      let i = 0
      while (i < n && hit.charCodeAt(i) === text.charCodeAt(from + i)) i++
      if (i === n) return hit
    }
    const s = flat(text.slice(from, to))
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
