// Shared by the library tests (test/cli has its own helpers): collecting, chunking, counting
// sources, a stage-contract suite that every stage runs, and small polling utilities.
import { readdirSync, readlinkSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { LineBatch, RecordBatch, type SensorRecord } from '../src/index.js'

/** Every item of an async iterable, in order. */
export async function collect<T> (iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iterable) out.push(x)
  return out
}

/** An async iterable of the given items, one per pull. */
export async function * fromItems<T> (items: Iterable<T>): AsyncGenerator<T> {
  for (const x of items) yield x
}

/**
 * Cuts data into chunks of the given sizes (cycling through `sizes`); a size of 0 gives an empty
 * chunk. The last chunk takes what is left.
 */
export function chunksOf (data: string | Uint8Array, sizes: readonly number[]): Buffer[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)
  if (sizes.length === 0 || sizes.every(s => s === 0)) return [buf]
  const out: Buffer[] = []
  let pos = 0
  let k = 0
  while (pos < buf.length) {
    const n = sizes[k++ % sizes.length]!
    out.push(buf.subarray(pos, pos + n))
    pos += n
  }
  return out
}

/** Cuts data at the given byte offsets (sorted, duplicates give empty chunks). */
export function cutAt (data: Uint8Array, cuts: readonly number[]): Buffer[] {
  const sorted = [...cuts].map(c => Math.min(Math.max(0, c), data.length)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const c of sorted) { out.push(Buffer.from(data.subarray(prev, c))); prev = c }
  out.push(Buffer.from(data.subarray(prev)))
  return out
}

/** The strings of a stream of LineBatches, flattened. */
export function linesOf (batches: readonly LineBatch[]): string[] {
  return batches.flatMap(b => b.toArray())
}

/** The plain records of a stream of RecordBatches, flattened. */
export function rowsOf (batches: ReadonlyArray<RecordBatch | SensorRecord[]>): SensorRecord[] {
  return batches.flatMap(b => b instanceof RecordBatch ? b.toRows().map(r => ({ ...r })) : b)
}

/**
 * A source that records how far it was driven: `pulls` counts the items it produced (each is
 * produced only when pulled), `finallyRan` says whether its `finally` ran, `started` whether
 * iteration began at all. With `failAt`, it throws `error` instead of producing item `failAt`.
 */
export class CountingSource<T> implements AsyncIterable<T> {
  pulls = 0
  started = false
  finallyRan = false
  readonly error = new Error('source failed on purpose')
  constructor (private readonly item: (i: number) => T, private readonly total = Infinity, private readonly failAt = -1) {}

  async * [Symbol.asyncIterator] (): AsyncGenerator<T> {
    this.started = true
    try {
      for (let i = 0; i < this.total; i++) {
        if (i === this.failAt) throw this.error
        this.pulls++
        yield this.item(i)
      }
    } finally {
      this.finallyRan = true
    }
  }
}

/** What a stage is, for the contract suite: any function from an async iterable to one. */
export type AnyStage = (source: AsyncIterable<any>) => AsyncIterable<any>

/**
 * The behaviour every stage shares (STYLE.md, tests 3-5): building and applying it pulls
 * nothing, one `next()` pulls a bounded number of items, `break` runs the source's `finally`,
 * and a source error rejects `next()` after which the source's `finally` has run.
 *
 * `item(i)` must make inputs on which the stage yields something for each of the first
 * `maxPulls` items at the latest.
 */
export function stageContract (build: () => AnyStage, item: (i: number) => unknown, maxPulls = 1): void {
  it('building the stage and applying it to a source pulls nothing', async () => {
    const src = new CountingSource(item)
    const stage = build()
    const out = stage(src)
    await new Promise(resolve => setImmediate(resolve))
    expect(src.started).toBe(false)
    expect(src.pulls).toBe(0)
    // and it really is the stage's output: it can be iterated
    expect(typeof out[Symbol.asyncIterator]).toBe('function')
  })

  it(`one next() pulls at most ${maxPulls} source item${maxPulls === 1 ? '' : 's'}`, async () => {
    const src = new CountingSource(item)
    const it = build()(src)[Symbol.asyncIterator]()
    const r = await it.next()
    expect(r.done).toBe(false)
    expect(src.pulls).toBeGreaterThanOrEqual(1)
    expect(src.pulls).toBeLessThanOrEqual(maxPulls)
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })

  it('break in the consumer runs the source\'s finally and stops pulling', async () => {
    const src = new CountingSource(item)
    for await (const x of build()(src)) {
      expect(x).toBeDefined()
      break
    }
    expect(src.finallyRan).toBe(true)
    const pulled = src.pulls
    expect(pulled).toBeLessThanOrEqual(maxPulls)
  })

  it('an error thrown by the source rejects next() and the source\'s finally has run', async () => {
    const src = new CountingSource(item, Infinity, maxPulls + 2)
    const it = build()(src)[Symbol.asyncIterator]()
    let caught: unknown
    try {
      for (;;) { const r = await it.next(); if (r.done === true) break }
    } catch (err) { caught = err }
    expect(caught).toBe(src.error)
    expect(src.finallyRan).toBe(true)
  })

  it('an empty source gives nothing and ends', async () => {
    const src = new CountingSource(item, 0)
    const items = await collect(build()(src))
    expect(items.filter(x => !isEmptyBatch(x))).toEqual([])
    expect(src.finallyRan).toBe(true)
  })
}

function isEmptyBatch (x: unknown): boolean {
  return (x instanceof LineBatch || x instanceof RecordBatch || Array.isArray(x)) ? (x as { length: number }).length === 0 : x === ''
}

/** Resolves when `cond()` holds; rejects with `what` after `ms` (a deadline, not a timing claim). */
export async function waitUntil (cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** Races a promise against a deadline, so a hang fails the test with a message. */
export async function within<T> (p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([p, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** True when this process holds an open file descriptor on `path` (Linux /proc). */
export function holdsOpen (path: string): boolean {
  let fds: string[]
  try { fds = readdirSync('/proc/self/fd') } catch { return false }
  for (const fd of fds) {
    try { if (readlinkSync(`/proc/self/fd/${fd}`) === path) return true } catch { /* closed meanwhile */ }
  }
  return false
}

/** Whether /proc/self/fd can be read (so `holdsOpen` means something). */
export const canListFds = ((): boolean => { try { readdirSync('/proc/self/fd'); return true } catch { return false } })()

/** The number of active timers (`Timeout` resources) in this process. */
export function activeTimers (): number {
  return process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
}

/** A fresh temporary folder. */
export async function tempDir (): Promise<{ path: string, file: (name: string) => string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'sensorpipe-test-'))
  return { path, file: name => join(path, name), remove: async () => { await rm(path, { recursive: true, force: true }) } }
}

/** A LineBatch of the given lines, for parser input. */
export function lineBatch (lines: readonly string[], firstLine = 1): LineBatch {
  return LineBatch.of(lines, firstLine)
}

/**
 * The reference framing the framer is tested against, written as plainly as possible: a BOM at
 * the very start skipped, lines split at LF, one CR directly before an LF (or the end) dropped, a
 * last line without LF kept. Returns each line's bytes (views of the input).
 */
export function referenceLines (bytes: Uint8Array): Buffer[] {
  let b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3)
  const out: Buffer[] = []
  let start = 0
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length && start === b.length) break
    if (i === b.length || b[i] === 0x0a) {
      let end = i
      if (end > start && b[end - 1] === 0x0d) end--
      out.push(b.subarray(start, end))
      start = i + 1
    }
  }
  return out
}
