import { createReadStream, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { SinkError } from '../errors.js'
import { v8Module } from './heap.js'

/** Live objects of one constructor (or one kind, for non-objects) in a heap snapshot. */
export interface ObjectCount {
  count: number
  /** Their own sizes, in bytes (not what they retain). */
  size: number
}

/** Options of {@link countObjects}. */
export interface CountObjectsOptions {
  /** Bytes read at a time; the parser holds one such chunk. Default 1 MiB. */
  chunkBytes?: number
}

// Node types counted by name: for `object` the name is the constructor's. Every other node type
// (strings, closures, code, arrays of internals...) is counted under `(type)`: their names are
// the strings' contents or internal labels, which would make the counts as big as the heap.
const BY_NAME = 'object'
// The `snapshot` header (node and edge field names, about 2 KB) is parsed whole; more than this
// is not a V8 heap snapshot.
const MAX_HEADER = 1 << 20
// Constructor names are short; longer ones are cut.
const MAX_NAME = 1024

/**
 * Counts the live objects in a V8 heap snapshot file (`.heapsnapshot`, as written by
 * `v8.writeHeapSnapshot` or Chrome DevTools) by constructor name: `RecordBatch`, `Float64Array`,
 * `Object`, ...; other nodes by kind: `(string)`, `(closure)`, `(code)`. Streaming: it reads
 * `chunkBytes` at a time and holds one count per distinct name, never the node array or the
 * string table, so a 1 GB snapshot is counted in a few megabytes. Rejects with an Error for a
 * file that is not a heap snapshot.
 *
 * @example
 * ```ts
 * const counts = await countObjects('heap-1-end.heapsnapshot')
 * console.log(counts.get('RecordBatch')?.count ?? 0)
 * ```
 */
export async function countObjects (path: string, options: CountObjectsOptions = {}): Promise<Map<string, ObjectCount>> {
  const chunkBytes = options.chunkBytes ?? 1 << 20
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new TypeError('"chunkBytes" must be a positive integer')
  const scanner = new SnapshotScanner()
  for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes })) scanner.push(chunk as Buffer)
  return scanner.result()
}

/**
 * The number of live objects whose constructor is `name` in a heap snapshot file (see
 * {@link countObjects}; `(string)` and the like count a kind). 0 when there are none.
 *
 * @example
 * ```ts
 * expect(await countLiveObjects(file, 'RecordBatch')).toBeLessThanOrEqual(4)
 * ```
 */
export async function countLiveObjects (path: string, name: string): Promise<number> {
  return (await countObjects(path)).get(name)?.count ?? 0
}

/** One constructor's counts across snapshots, from {@link diffObjectCounts}. */
export interface ObjectGrowth {
  name: string
  /** Its count in each snapshot, in order. */
  counts: number[]
  /** Last count minus first. */
  delta: number
  /** Last self size minus first, bytes. */
  sizeDelta: number
  /** True when the count never went down from one snapshot to the next. */
  monotonic: boolean
}

/**
 * The constructors whose live object count grew from the first snapshot to the last, most grown
 * first: the objects a leak is made of (memlab's idea, by counts). Pass the counts of two or more
 * snapshots in the order they were taken.
 *
 * @example
 * ```ts
 * const grown = diffObjectCounts([await countObjects(first), await countObjects(last)])
 * for (const g of grown.slice(0, 10)) console.log(g.name, g.counts.join(' → '))
 * ```
 */
export function diffObjectCounts (snapshots: ReadonlyArray<ReadonlyMap<string, ObjectCount>>): ObjectGrowth[] {
  if (snapshots.length < 2) return []
  const first = snapshots[0]!
  const last = snapshots[snapshots.length - 1]!
  const out: ObjectGrowth[] = []
  for (const [name, c] of last) {
    const delta = c.count - (first.get(name)?.count ?? 0)
    if (delta <= 0) continue
    const counts = snapshots.map(s => s.get(name)?.count ?? 0)
    out.push({ name, counts, delta, sizeDelta: c.size - (first.get(name)?.size ?? 0), monotonic: counts.every((n, i) => i === 0 || n >= counts[i - 1]!) })
  }
  return out.sort((a, b) => b.delta - a.delta || (a.name < b.name ? -1 : 1))
}

/** Options of {@link HeapSnapshots}. */
export interface HeapSnapshotsOptions {
  /** Folder for the `.heapsnapshot` files; created if missing. */
  dir: string
  /** Time between periodic snapshots, ms; 0 for none. Default 60000. */
  every?: number
  /** Periodic snapshots kept on disk (older ones are deleted). Default 3. The first and the last are always kept. */
  keep?: number
}

/**
 * Writes V8 heap snapshots of this process: `start()` one now and then one every `every` ms
 * (keeping the last `keep` periodic ones), `end()` a last one. Each write stops the process for
 * about as long as a full collection plus serializing the heap (a 10 MB heap: about 0.3 s and a
 * 5-20 MB file; a 300 MB heap: seconds and a 300 MB file), so periodic snapshots wait at least
 * four times as long as the last one took. {@link HeapSnapshots.diff} counts the objects in the
 * snapshots kept, one file at a time, streaming.
 *
 * @example
 * ```ts
 * const snaps = new HeapSnapshots({ dir: 'snaps', every: 30_000 })
 * snaps.start()
 * await run()
 * snaps.end()
 * console.log(formatSnapshotDiff(await snaps.diff(), snaps.files))
 * ```
 */
export class HeapSnapshots {
  readonly #dir: string
  readonly #every: number
  readonly #keep: number
  readonly #files: string[] = []
  #periodic: string[] = []
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  #seq = 0
  /** A periodic snapshot that could not be written (periodic snapshots stop then). */
  error: Error | undefined

  constructor (options: HeapSnapshotsOptions) {
    const { dir, every = 60_000, keep = 3 } = options
    if (typeof dir !== 'string' || dir === '') throw new TypeError('"dir" must be a folder path')
    if (!(typeof every === 'number' && every >= 0 && Number.isFinite(every))) throw new TypeError(`"every" must be a number of ms >= 0, got ${String(every)}`)
    if (!Number.isInteger(keep) || keep < 0) throw new TypeError('"keep" must be an integer >= 0')
    this.#dir = dir
    this.#every = every
    this.#keep = keep
  }

  /** The snapshot files on disk, in the order they were written. */
  get files (): readonly string[] { return [...this.#files] }

  /** Writes the first snapshot and starts the periodic ones. Throws a SinkError when the folder cannot be written. */
  start (): void {
    try {
      mkdirSync(this.#dir, { recursive: true })
    } catch (err) {
      throw new SinkError('ERR_SINK_OPEN', `cannot create ${this.#dir} for heap snapshots: ${(err as Error).message}`, { cause: err })
    }
    const took = this.#timed(() => this.#write('start'))
    this.#schedule(took)
  }

  // The next periodic snapshot comes `every` ms after the last one ended, and never sooner than
  // four times as long as that one took: a snapshot stops the process, and on a big heap it can
  // take seconds, so snapshots take at most a fifth of the run however short `every` is.
  #schedule (took: number): void {
    if (this.#every === 0 || this.#stopped) return
    this.#timer = setTimeout(() => {
      try {
        let file = ''
        const spent = this.#timed(() => { file = this.#write('periodic') })
        this.#periodic.push(file)
        while (this.#periodic.length > this.#keep) {
          const old = this.#periodic.shift()!
          rmSync(old, { force: true })
          this.#files.splice(this.#files.indexOf(old), 1)
        }
        this.#schedule(spent)
      } catch (err) {
        this.error = err as Error
      }
    }, Math.max(this.#every, 4 * took))
    this.#timer.unref() // a snapshot schedule never keeps the process alive
  }

  #timed (fn: () => void): number {
    const t0 = performance.now()
    fn()
    return performance.now() - t0
  }

  /** Stops the periodic snapshots and writes the last one. */
  end (): void {
    this.stop()
    this.#write('end')
  }

  /** Stops the periodic snapshots without writing another. */
  stop (): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #write (label: string): string {
    const file = join(this.#dir, `heap-${process.pid}-${++this.#seq}-${label}.heapsnapshot`)
    try {
      v8Module().writeHeapSnapshot(file)
    } catch (err) {
      throw new SinkError('ERR_SINK_WRITE', `cannot write heap snapshot ${file}: ${(err as Error).message}`, { cause: err })
    }
    this.#files.push(file)
    return file
  }

  /** The objects that grew from the first snapshot to the last ({@link diffObjectCounts}), counting each file in turn. */
  async diff (): Promise<ObjectGrowth[]> {
    const counts: Array<Map<string, ObjectCount>> = []
    for (const f of this.#files) counts.push(await countObjects(f))
    return diffObjectCounts(counts)
  }
}

/**
 * The snapshot diff as text: one line per grown constructor (the `top` most grown), with its
 * count in each snapshot, and `*` where the count grew at every snapshot (the shape of a leak).
 */
export function formatSnapshotDiff (grown: readonly ObjectGrowth[], files: readonly string[], top = 15): string {
  const lines = [`heap snapshots: ${files.length} written (${files.join(', ')})`]
  if (files.length < 2) return lines.join('\n') + '\n'
  if (grown.length === 0) {
    lines.push('no constructor has more live objects in the last snapshot than in the first')
    return lines.join('\n') + '\n'
  }
  lines.push(`constructors with more live objects in the last snapshot than in the first (counts per snapshot; * grew every time):`)
  const shown = grown.slice(0, top)
  const width = Math.max(...shown.map(g => g.name.length))
  for (const g of shown) {
    const sign = `+${g.delta}`.padStart(8)
    lines.push(`  ${g.name.padEnd(width)} ${sign}  ${g.counts.join(' → ')}${g.monotonic && g.counts.length > 2 ? ' *' : ''}  (${g.sizeDelta >= 0 ? '+' : ''}${(g.sizeDelta / 1024).toFixed(0)} KiB)`)
  }
  if (grown.length > top) lines.push(`  ... and ${grown.length - top} more`)
  return lines.join('\n') + '\n'
}

const enum S { Top, Key, Colon, Value, Capture, Skip, NumsOpen, Nums, StrsOpen, Strs, Str, Done }

/**
 * A push parser for the heap snapshot format: a JSON object whose `snapshot` header names the
 * node fields, then `nodes` (a flat array of integers, `node_fields.length` per node), then
 * arrays that are skipped (`edges`, `locations`, ...), and last `strings`, the table that node
 * names index. Nodes are counted by (type, name index) as they stream by; when the string table
 * comes, only the names counted are kept.
 */
export class SnapshotScanner {
  #state = S.Top
  #key: number[] = []
  #target = ''
  // Capture / skip of a JSON value: depth, inside a string, after a backslash.
  #depth = 0
  #inStr = false
  #esc = false
  #header: Buffer[] = []
  #headerBytes = 0
  // Node layout, from the header.
  #fields = 0
  #typeField = -1
  #nameField = -1
  #sizeField = -1
  #types: string[] = []
  #byNameType = -1
  // The node being read.
  #field = 0
  #num = 0
  #inNum = false
  #type = 0
  #name = 0
  #size = 0
  // Counts: by name index (objects) and by type.
  readonly #byName = new Map<number, ObjectCount>()
  #byType: ObjectCount[] = []
  // String table.
  #strIndex = -1
  #wanted = false
  #strBuf: number[] = []
  readonly #names = new Map<number, string>()

  push (chunk: Uint8Array): void {
    let i = 0
    const n = chunk.length
    while (i < n) {
      switch (this.#state) {
        case S.Top: {
          const c = chunk[i++]!
          if (c === 0x22) { this.#state = S.Key; this.#key = [] } else if (c === 0x7d && this.#depth === 0) this.#state = S.Done
          break
        }
        case S.Key: {
          const c = chunk[i++]!
          if (c === 0x22) { this.#target = Buffer.from(this.#key).toString('utf8'); this.#state = S.Colon } else if (this.#key.length < 64) this.#key.push(c)
          break
        }
        case S.Colon:
          if (chunk[i++] === 0x3a) this.#state = S.Value
          break
        case S.Value: {
          const c = chunk[i]!
          if (isSpace(c)) { i++; break }
          if (this.#target === 'nodes') { this.#state = S.NumsOpen; this.#requireHeader(); break }
          if (this.#target === 'strings') { this.#state = S.StrsOpen; break }
          this.#state = this.#target === 'snapshot' ? S.Capture : S.Skip
          this.#depth = 0
          this.#inStr = false
          this.#esc = false
          break
        }
        case S.Capture:
        case S.Skip:
          i = this.#value(chunk, i)
          break
        case S.NumsOpen:
        case S.StrsOpen: {
          const c = chunk[i++]!
          if (c === 0x5b) this.#state = this.#state === S.NumsOpen ? S.Nums : S.Strs
          else if (!isSpace(c)) throw new Error('not a V8 heap snapshot: expected an array')
          break
        }
        case S.Nums:
          i = this.#nums(chunk, i)
          break
        case S.Strs: {
          const c = chunk[i++]!
          if (c === 0x22) {
            this.#strIndex++
            this.#wanted = this.#names.has(this.#strIndex)
            this.#strBuf = []
            this.#esc = false
            this.#state = S.Str
          } else if (c === 0x5d) {
            this.#state = S.Top
          }
          break
        }
        case S.Str:
          i = this.#str(chunk, i)
          break
        case S.Done:
          return
      }
    }
  }

  // A JSON value captured (the header) or skipped: ends when its brackets balance.
  #value (chunk: Uint8Array, start: number): number {
    let depth = this.#depth
    let inStr = this.#inStr
    let esc = this.#esc
    let i = start
    const n = chunk.length
    let ended = false
    for (; i < n; i++) {
      const c = chunk[i]!
      if (inStr) {
        if (esc) esc = false
        else if (c === 0x5c) esc = true
        else if (c === 0x22) { inStr = false; if (depth === 0) { i++; ended = true; break } }
      } else if (c === 0x22) {
        inStr = true
      } else if (c === 0x7b || c === 0x5b) {
        depth++
      } else if (c === 0x7d || c === 0x5d) {
        depth--
        if (depth === 0) { i++; ended = true; break }
        if (depth < 0) { ended = true; break } // a scalar value ended by the object's close: leave it for Top
      } else if (c === 0x2c && depth === 0) {
        ended = true
        break
      }
    }
    if (this.#state === S.Capture) {
      this.#headerBytes += i - start
      if (this.#headerBytes > MAX_HEADER) throw new Error('not a V8 heap snapshot: its header is too large')
      this.#header.push(Buffer.from(chunk.subarray(start, i)))
    }
    this.#depth = depth
    this.#inStr = inStr
    this.#esc = esc
    if (ended) {
      if (this.#state === S.Capture) this.#readHeader()
      this.#depth = 0
      this.#state = S.Top
    }
    return i
  }

  #readHeader (): void {
    let header: { meta?: { node_fields?: unknown, node_types?: unknown } }
    try {
      header = JSON.parse(Buffer.concat(this.#header).toString('utf8'))
    } catch {
      throw new Error('not a V8 heap snapshot: its header is not JSON')
    }
    this.#header = []
    const fields = header.meta?.node_fields
    const types = (header.meta?.node_types as unknown[] | undefined)?.[0]
    if (!Array.isArray(fields) || !Array.isArray(types)) throw new Error('not a V8 heap snapshot: no node_fields in its header')
    this.#fields = fields.length
    this.#typeField = fields.indexOf('type')
    this.#nameField = fields.indexOf('name')
    this.#sizeField = fields.indexOf('self_size')
    this.#types = types.map(String)
    this.#byNameType = this.#types.indexOf(BY_NAME)
    this.#byType = this.#types.map(() => ({ count: 0, size: 0 }))
    if (this.#typeField < 0 || this.#nameField < 0) throw new Error('not a V8 heap snapshot: no type or name node field')
  }

  #requireHeader (): void {
    if (this.#fields === 0) throw new Error('not a V8 heap snapshot: nodes before the header')
  }

  // The node array: the hot loop, one digit at a time.
  #nums (chunk: Uint8Array, start: number): number {
    let num = this.#num
    let inNum = this.#inNum
    let field = this.#field
    const fields = this.#fields
    const n = chunk.length
    let i = start
    for (; i < n; i++) {
      const c = chunk[i]!
      if (c >= 0x30 && c <= 0x39) { num = num * 10 + (c - 0x30); inNum = true; continue }
      if (inNum) {
        if (field === this.#typeField) this.#type = num
        else if (field === this.#nameField) this.#name = num
        else if (field === this.#sizeField) this.#size = num
        if (++field === fields) { this.#node(); field = 0 }
        num = 0
        inNum = false
      }
      if (c === 0x5d) { i++; this.#state = S.Top; break }
    }
    this.#num = num
    this.#inNum = inNum
    this.#field = field
    return i
  }

  #node (): void {
    if (this.#type === this.#byNameType) {
      let c = this.#byName.get(this.#name)
      if (c === undefined) { c = { count: 0, size: 0 }; this.#byName.set(this.#name, c); this.#names.set(this.#name, '') }
      c.count++
      c.size += this.#size
    } else {
      const c = this.#byType[this.#type]
      if (c !== undefined) { c.count++; c.size += this.#size }
    }
  }

  // One string of the table; kept (up to MAX_NAME bytes) only when a counted node is named by it.
  #str (chunk: Uint8Array, start: number): number {
    let esc = this.#esc
    const n = chunk.length
    let i = start
    for (; i < n; i++) {
      const c = chunk[i]!
      if (esc) esc = false
      else if (c === 0x5c) esc = true
      else if (c === 0x22) break
      if (this.#wanted && this.#strBuf.length < MAX_NAME) this.#strBuf.push(c)
    }
    this.#esc = esc
    if (i < n) {
      if (this.#wanted) this.#names.set(this.#strIndex, decodeName(this.#strBuf))
      this.#state = S.Strs
      i++
    }
    return i
  }

  /** The counts, by constructor name or `(type)`. Throws when the input ended early. */
  result (): Map<string, ObjectCount> {
    if (this.#state !== S.Done) throw new Error('not a V8 heap snapshot, or a truncated one')
    if (this.#fields === 0) throw new Error('not a V8 heap snapshot: no snapshot header')
    if (this.#strIndex < 0) throw new Error('not a V8 heap snapshot: no string table')
    const out = new Map<string, ObjectCount>()
    for (const [idx, c] of this.#byName) {
      const name = this.#names.get(idx) ?? `(name ${idx})`
      const old = out.get(name)
      if (old === undefined) out.set(name, { ...c }); else { old.count += c.count; old.size += c.size }
    }
    this.#byType.forEach((c, t) => {
      if (c.count > 0) out.set(`(${this.#types[t]!})`, { ...c })
    })
    return out
  }
}

function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c
}

function decodeName (bytes: number[]): string {
  const raw = Buffer.from(bytes).toString('utf8')
  try {
    return JSON.parse(`"${raw}"`) as string
  } catch {
    return raw // cut inside an escape: keep the text as written
  }
}
