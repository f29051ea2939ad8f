// Reading the heap cheaply. `node:v8` costs about 1 ms to load, so it is fetched on first use
// (process.getBuiltinModule), never by a static import: the CLI bundle hoists static imports of
// built-ins to its top, where every run, memory flags or not, would pay for them.
import type * as V8 from 'node:v8'
import { collector } from './weak-store.js'

/** One MB as sensorpipe counts it: 2^20 bytes, as V8's `--max-old-space-size` does. */
export const MB = 1 << 20

let v8: typeof V8 | undefined

/** The `node:v8` module, loaded on first use. */
export function v8Module (): typeof V8 {
  v8 ??= process.getBuiltinModule('node:v8')
  return v8
}

/**
 * Bytes in use now: V8's used heap plus external memory (the contents of Buffers and typed arrays,
 * where batches keep their bytes and columns), garbage not yet collected included. Costs about
 * 0.15 µs (`process.memoryUsage()` costs 7 µs, because it also reads the RSS).
 *
 * @example
 * ```ts
 * console.log(`${(heapInUse() / MB).toFixed(1)} MB in use`)
 * ```
 */
export function heapInUse (): number {
  const s = v8Module().getHeapStatistics()
  return s.used_heap_size + s.external_memory
}

/**
 * Bytes in use after a full garbage collection ({@link heapInUse} of what is live), or undefined
 * when no collection can be had (see {@link collector}). Collects twice: V8 frees the memory of
 * dead Buffers and typed arrays only when the next collection starts (measured on Node 20: 16 MB
 * of dead Buffers still counted after one collection, none after two). Costs about 3-10 ms on a
 * 10 MB heap, tens of ms on a large one.
 *
 * @example
 * ```ts
 * const live = liveHeap()
 * if (live !== undefined && live > 64 * MB) console.error('over budget')
 * ```
 */
export function liveHeap (): number | undefined {
  const gc = collector()
  if (gc === undefined) return undefined
  collectFully(gc)
  return heapInUse()
}

/** Two full collections: the second frees the external memory of what the first found dead. */
export function collectFully (gc: () => void): void {
  gc()
  gc()
}

/**
 * The V8 heap without its young generation (where short-lived garbage piles up between the
 * frequent minor collections), in bytes: a close lower bound of the live V8 heap that costs
 * about 3 µs. On the reference job it stays within 1 MB of the live heap while the heap in use,
 * garbage included, swings by 30 MB.
 */
export function oldGenerationInUse (): number {
  const v8m = v8Module()
  let young = 0
  for (const space of v8m.getHeapSpaceStatistics()) if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') young += space.space_used_size
  return v8m.getHeapStatistics().used_heap_size - young
}

/** External memory now (Buffer and typed-array contents, dead ones not yet freed included), bytes. */
export function externalInUse (): number {
  return v8Module().getHeapStatistics().external_memory
}

/** `12.3 MB` (MB = 2^20 bytes). */
export function formatMB (bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`
}
