import { type LazyFraming, LineBatch } from '../batch/line-batch.js'
import { Pool, returnChunk } from '../batch/owned.js'
import type { RejectionHandler, Stage } from '../types.js'
import { optionalFunction, positiveInteger } from '../util/validate.js'

/** The longest line `lines` keeps unless told otherwise, in bytes. */
export const DEFAULT_MAX_LINE_BYTES = 65536

export interface LinesOptions {
  /**
   * Longest line kept, in bytes, not counting its LF or CRLF. A longer line is dropped, counted in
   * `stats.tooLong` and reported to `onError`; only `maxLineBytes` of it are ever held. Default 65536.
   */
  maxLineBytes?: number
  /** Receives each dropped line (reason `too-long`, with its first 256 bytes, as text and as bytes). */
  onError?: RejectionHandler
  /**
   * Fill the line-offset arrays of released batches again (and hand each chunk of a `fromFile`
   * with `reuse` back once the batch made from it is released), instead of allocating per batch.
   * Then a batch must not be read after its consumer released it (see `Owned`). Default false.
   */
  reuse?: boolean
}

/** Live counters of a {@link lines} stage. */
export interface LinesStats {
  /**
   * Every line seen, dropped ones included: a batch's lines once it is framed (by its consumer,
   * or by this stage before it makes the next batch; see LineBatch, "Framed lazily").
   */
  lines: number
  /** Lines dropped for exceeding `maxLineBytes`. */
  tooLong: number
}

export type LinesStage = Stage<Uint8Array, LineBatch> & { readonly stats: LinesStats }

const LF = 10
const CR = 13
const SNIPPET = 256
const EMPTY = Buffer.alloc(0)
// Offset-array pairs kept for reuse: one per batch in flight in a pipeline is enough.
const OFFSET_POOL = 4

/**
 * Frames a stream of byte chunks into batches of text lines: one {@link LineBatch} per input
 * chunk that completes at least one line (iterate it for strings). Lines end at LF; one CR
 * directly before the LF is removed; a lone CR is data. A last line without LF still counts. A
 * UTF-8 BOM at the very start is skipped (elsewhere it is data). Text is decoded as UTF-8, each
 * invalid sequence becoming U+FFFD.
 *
 * Buffers the unfinished last line of a chunk, at most `maxLineBytes`; past that the line is
 * dropped and counted, so an input without newlines cannot grow memory. Never waits for more
 * input while it has a complete line: each chunk's lines are yielded before the next pull.
 *
 * A batch is cut into lines when it is first read, so that a consumer that reads its bytes
 * anyway can find the line ends as it goes (the typed CSV parser does): see {@link LineBatch},
 * "Framed lazily". The lines, numbers, counters and dropped lines are the same either way.
 *
 * @example
 * ```ts
 * const framer = lines({ maxLineBytes: 1024 })
 * for await (const batch of pipe(fromFile('log.txt'), framer)) for (const line of batch) console.log(line)
 * console.error(framer.stats.tooLong, 'lines too long')
 * ```
 */
export function lines (options: LinesOptions = {}): LinesStage {
  const maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
  const onError = optionalFunction('onError', options.onError)
  const reuse = options.reuse ?? false
  if (typeof reuse !== 'boolean') throw new TypeError('"reuse" must be a boolean')
  const stats: LinesStats = { lines: 0, tooLong: 0 }

  const tooLong = (head: Uint8Array): void => {
    stats.lines++
    stats.tooLong++
    if (onError === undefined) return
    const kept = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, SNIPPET))
    onError({
      stage: 'lines',
      reason: 'too-long',
      detail: `line ${stats.lines} is longer than maxLineBytes (${maxLineBytes})`,
      line: stats.lines,
      raw: kept.toString('utf8')
    }, kept)
  }

  async function * linesStage (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<LineBatch> {
    // The unfinished line: carry[0, carryLen), at most maxLineBytes + 1 bytes (the +1 holds a CR
    // that may turn out to precede an LF in the next chunk). Past that: discarding, keeping only
    // the first SNIPPET bytes for the report.
    let carry = Buffer.allocUnsafe(Math.min(maxLineBytes + 1, 4096))
    let carryLen = 0
    let discarding = false
    let discardHead = EMPTY
    let discardLen = 0
    let discardTotal = 0 // the dropped line's length so far, to tell whether the head is all of it
    let bomPending: Buffer | undefined
    let started = false
    // Offset arrays that released batches handed back, and the joining buffers (with reuse).
    const offsets = new Pool<[Int32Array, Int32Array]>(OFFSET_POOL, p => p[0].length)
    const segs = new Pool<Buffer>(OFFSET_POOL, b => b.length)
    // Bytes per line in the batches framed so far: the offset arrays of the next are sized by it.
    let bytesPerLine = 32

    const pushCarry = (src: Uint8Array, from: number, to: number): void => {
      const n = to - from
      if (n <= 0) return
      if (discarding) {
        discardTotal += n
        // Keep the first SNIPPET bytes of the dropped line for the report, nothing more.
        if (discardLen < SNIPPET) {
          const k = Math.min(n, SNIPPET - discardLen)
          discardHead.set(src.subarray(from, from + k), discardLen)
          discardLen += k
        }
        return
      }
      if (carryLen + n > maxLineBytes + 1) {
        discarding = true
        discardHead = Buffer.allocUnsafe(SNIPPET)
        discardLen = Math.min(carryLen, SNIPPET)
        discardTotal = carryLen
        carry.copy(discardHead, 0, 0, discardLen)
        carryLen = 0
        pushCarry(src, from, to)
        return
      }
      if (carry.length < carryLen + n) {
        const next = Buffer.allocUnsafe(Math.min(maxLineBytes + 1, Math.max(carryLen + n, carry.length * 2)))
        carry.copy(next, 0, 0, carryLen)
        carry = next
      }
      carry.set(src.subarray(from, to), carryLen)
      carryLen += n
    }

    // The dropped line ended (at an LF or the end of input): report it. When the head holds all
    // of it, a CR at its end was the line ending's, not the line's.
    const endDiscard = (): void => {
      let n = discardLen
      if (discardTotal <= SNIPPET && n > 0 && discardHead[n - 1] === CR) n--
      discarding = false
      tooLong(discardHead.subarray(0, n))
      discardHead = EMPTY
    }

    // How this stage's batches are cut into lines, when their consumer first reads them or as it
    // reads them (see LineBatch, "Framed lazily"). A batch holds whole lines, each ending in LF:
    // LF and CR never occur inside a UTF-8 sequence, so nothing needs decoding here.
    const framing: LazyFraming = {
      maxLineBytes,
      begin (bytes) {
        const expected = Math.ceil(bytes / bytesPerLine) + 16
        const reused = offsets.take(p => p[0].length >= expected)
        if (reused !== undefined) return { starts: reused[0], ends: reused[1], expected, firstLine: stats.lines + 1 }
        const cap = Math.max(1024, Math.min(1 << 20, expected + (expected >> 3)))
        return { starts: new Int32Array(cap), ends: new Int32Array(cap), expected, firstLine: stats.lines + 1 }
      },
      grow (starts, ends, count) {
        const s2 = new Int32Array(starts.length * 2)
        const e2 = new Int32Array(starts.length * 2)
        s2.set(starts.subarray(0, count))
        e2.set(ends.subarray(0, count))
        return [s2, e2]
      },
      finish (units, from, starts, ends, count, firstLine) {
        const n = units.length
        const seg = Buffer.from(units.buffer, units.byteOffset, n)
        stats.lines = firstLine - 1 + count
        // Each line's number, from the first line dropped as too long on (before that, none).
        let numbers: Float64Array | undefined
        let pos = from
        while (pos < n) {
          // Buffer#indexOf is a native memchr: cheaper per line than a JS loop over the bytes.
          let lf = seg.indexOf(LF, pos)
          if (lf < 0) lf = n
          let end = lf
          if (end > pos && seg[end - 1] === CR) end--
          if (end - pos > maxLineBytes) {
            if (numbers === undefined) {
              numbers = new Float64Array(starts.length)
              for (let k = 0; k < count; k++) numbers[k] = firstLine + k
            }
            tooLong(seg.subarray(pos, end))
          } else {
            if (count === starts.length) {
              [starts, ends] = framing.grow(starts, ends, count)
              if (numbers !== undefined) { const n2 = new Float64Array(starts.length); n2.set(numbers); numbers = n2 }
            }
            starts[count] = pos
            ends[count] = end
            if (numbers !== undefined) numbers[count] = stats.lines + 1
            count++
            stats.lines++
          }
          pos = lf + 1
        }
        const total = stats.lines - firstLine + 1
        if (total > 0) bytesPerLine = Math.max(1, n / total)
        return { starts, ends, length: count, numbers }
      }
    }

    // A batch of the whole lines in seg. With reuse, its release() hands back its offset arrays
    // (at most OFFSET_POOL pairs wait here; a consumer that keeps batches never releases them,
    // and fresh arrays are made) and its bytes: the joining buffer it was framed in, or else the
    // chunk it views, when a reusing source lent it (returnChunk does nothing for other bytes).
    // A batch released unread is framed first, so that its lines are counted.
    const lazyBatch = (seg: Buffer, joined: Buffer | undefined): LineBatch => {
      const batch: LineBatch = LineBatch.lazy(seg, framing, reuse
        ? () => {
            batch.frame()
            const pair = batch.offsetArrays
            if (pair[0].length > 0) offsets.give(pair)
            if (joined !== undefined) segs.give(joined)
            else returnChunk(seg)
          }
        : undefined)
      return batch
    }

    // The whole lines of buf (with the carried line before them) as a batch, if it ends one.
    const frame = (buf: Uint8Array): LineBatch | undefined => {
      const last = buf.lastIndexOf(LF)
      if (last < 0) { pushCarry(buf, 0, buf.length); return undefined }
      let from = 0
      if (discarding) {
        // The over-long line ends at the first LF.
        const lf = buf.indexOf(LF)
        pushCarry(buf, 0, lf) // its bytes before the LF, for the head
        endDiscard()
        from = lf + 1
      }
      let batch: LineBatch | undefined
      if (from <= last && carryLen > 0) {
        // The carried line goes together with this chunk's whole lines (one copy).
        const firstLf = buf.indexOf(LF, from)
        if (carryLen + (firstLf - from) > maxLineBytes + 1) {
          pushCarry(buf, from, firstLf) // turns into discarding
          endDiscard()
          from = firstLf + 1
        } else {
          const need = carryLen + last + 1 - from
          // (Pooled with reuse: a carried line is joined to nearly every chunk's lines.)
          const joined = reuse ? segs.take(b => b.length >= need) ?? Buffer.allocUnsafeSlow(Math.max(need, buf.length + 256)) : undefined
          const seg = joined !== undefined ? joined.subarray(0, need) : Buffer.allocUnsafe(need)
          carry.copy(seg, 0, 0, carryLen)
          seg.set(buf.subarray(from, last + 1), carryLen)
          carryLen = 0
          batch = lazyBatch(seg, joined)
          from = last + 1
        }
      }
      if (from <= last) batch = lazyBatch(Buffer.from(buf.buffer, buf.byteOffset + from, last + 1 - from), undefined)
      pushCarry(buf, last + 1, buf.length)
      return batch
    }

    // The batch yielded last: framed (if its consumer has not) before the next is made, so that
    // line numbers and counters follow the input.
    let previous: LineBatch | undefined
    for await (let chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError(`lines: expected Buffer or Uint8Array chunks, got ${typeof chunk}`)
      previous?.frame()
      previous = undefined
      const lent = chunk
      if (!started) {
        if (bomPending !== undefined) chunk = Buffer.concat([bomPending, chunk])
        if (chunk.length < 3 && isBomPrefix(chunk)) { bomPending = Buffer.from(chunk); returnChunk(lent); continue }
        bomPending = undefined
        started = true
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3)
      }
      if (chunk.length === 0) { returnChunk(lent); continue }
      const batch = frame(chunk)
      // A chunk no batch views (its bytes were carried, or copied along with a carried line) goes
      // back to a reusing source now; one a batch views goes back when that batch is released.
      if (batch === undefined || batch.units.buffer !== lent.buffer) returnChunk(lent)
      if (batch !== undefined) {
        previous = batch
        yield batch
      }
    }
    previous?.frame()
    previous = undefined
    // End of input: a cut BOM is data; the unfinished line is the last line.
    if (bomPending !== undefined) pushCarry(bomPending, 0, bomPending.length)
    if (discarding) {
      endDiscard()
    } else if (carryLen > 0) {
      let end = carryLen
      if (carry[end - 1] === CR) end--
      carryLen = 0
      if (end > maxLineBytes) tooLong(carry.subarray(0, end))
      else {
        stats.lines++
        yield new LineBatch(Buffer.from(carry.subarray(0, end)), Int32Array.of(0), Int32Array.of(end), 1, stats.lines)
      }
    }
  }

  return Object.assign(linesStage, { stats })
}

function isBomPrefix (b: Uint8Array): boolean {
  return (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb)
}
