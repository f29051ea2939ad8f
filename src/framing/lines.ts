import { isAscii } from 'node:buffer'
import type { RejectionHandler, Stage } from '../types.js'
import { optionalFunction, positiveInteger } from '../util/validate.js'

export interface LinesOptions {
  /**
   * Longest line kept, in bytes, not counting its LF or CRLF. A longer line is dropped, counted in
   * `stats.tooLong` and reported to `onError`; only `maxLineBytes` of it are ever held. Default 65536.
   */
  maxLineBytes?: number
  /** Receives each dropped line (reason `too-long`, with its first 256 bytes). */
  onError?: RejectionHandler
}

/** Live counters of a {@link lines} stage. */
export interface LinesStats {
  /** Every line seen, dropped ones included. */
  lines: number
  /** Lines dropped for exceeding `maxLineBytes`. */
  tooLong: number
}

export type LinesStage = Stage<Uint8Array, string[]> & { readonly stats: LinesStats }

const LF = 10
const CR = 13
const SNIPPET = 256

/**
 * Frames a stream of byte chunks into batches of text lines: one `string[]` per input chunk that
 * completes at least one line. Lines end at LF; one CR directly before the LF is removed; a lone
 * CR is data. A last line without LF still counts. A UTF-8 BOM at the very start is skipped
 * (elsewhere it is data). Text is decoded as UTF-8, each invalid sequence becoming U+FFFD.
 *
 * Buffers the unfinished last line of a chunk, at most `maxLineBytes`; past that the line is
 * dropped and counted, so an input without newlines cannot grow memory. Never waits for more
 * input while it has a complete line: each chunk's lines are yielded before the next pull.
 *
 * @example
 * ```ts
 * const framer = lines({ maxLineBytes: 1024 })
 * for await (const batch of pipe(fromFile('log.txt'), framer)) for (const line of batch) console.log(line)
 * console.error(framer.stats.tooLong, 'lines too long')
 * ```
 */
export function lines (options: LinesOptions = {}): LinesStage {
  const maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes ?? 65536)
  const onError = optionalFunction('onError', options.onError)
  const stats: LinesStats = { lines: 0, tooLong: 0 }

  const tooLong = (head: Uint8Array): void => {
    stats.lines++
    stats.tooLong++
    onError?.({
      stage: 'lines',
      reason: 'too-long',
      detail: `line longer than maxLineBytes (${maxLineBytes})`,
      line: stats.lines,
      raw: Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, SNIPPET)).toString('utf8')
    })
  }

  async function * linesStage (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
    // The unfinished line: `carry[0, carryLen)`, never more than maxLineBytes + 1 bytes
    // (the +1 holds a CR that may turn out to precede an LF in the next chunk).
    let carry: Buffer | undefined
    let carryLen = 0
    let discarding = false // inside a line already known to be too long
    let discardHead: Buffer | undefined
    let bomPending: Buffer | undefined // the first < 3 bytes, while they could still be a BOM
    let started = false

    const pushCarry = (src: Uint8Array, from: number, to: number): void => {
      const n = to - from
      if (discarding) return
      if (carryLen + n > maxLineBytes + 1) {
        discarding = true
        discardHead = Buffer.allocUnsafe(Math.min(SNIPPET, carryLen + n))
        const fromCarry = Math.min(carryLen, discardHead.length)
        if (carry !== undefined) carry.copy(discardHead, 0, 0, fromCarry)
        Buffer.from(src.buffer, src.byteOffset + from, Math.min(n, discardHead.length - fromCarry)).copy(discardHead, fromCarry)
        carryLen = 0
        return
      }
      if (carry === undefined || carry.length < carryLen + n) {
        const next = Buffer.allocUnsafe(Math.min(maxLineBytes + 1, Math.max(256, (carryLen + n) * 2)))
        if (carry !== undefined) carry.copy(next, 0, 0, carryLen)
        carry = next
      }
      carry.set(src.subarray(from, to), carryLen)
      carryLen += n
    }

    // Ends the carried line with bytes src[from, to) (to = the LF's index). Returns the line, or
    // undefined when it was too long.
    const finishCarry = (src: Uint8Array, from: number, to: number): string | undefined => {
      if (discarding) {
        discarding = false
        const head = discardHead ?? Buffer.alloc(0)
        discardHead = undefined
        tooLong(head)
        return undefined
      }
      pushCarry(src, from, to)
      if (discarding) return finishCarry(src, to, to)
      let end = carryLen
      if (end > 0 && carry![end - 1] === CR) end--
      carryLen = 0
      if (end > maxLineBytes) { tooLong(carry!.subarray(0, end)); return undefined }
      stats.lines++
      return carry!.toString('utf8', 0, end)
    }

    const frame = (buf: Uint8Array, out: string[]): void => {
      let start = 0
      const last = buf.lastIndexOf(LF)
      if (last < 0) { pushCarry(buf, 0, buf.length); return }
      if (carryLen > 0 || discarding) {
        const lf = buf.indexOf(LF)
        const line = finishCarry(buf, 0, lf)
        if (line !== undefined) out.push(line)
        start = lf + 1
      }
      if (start <= last) frameWhole(buf, start, last, out)
      if (last + 1 < buf.length) pushCarry(buf, last + 1, buf.length)
    }

    // Lines in buf[start, last], where buf[last] is an LF and no line is carried in.
    const frameWhole = (buf: Uint8Array, start: number, last: number, out: string[]): void => {
      const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length)
      const seg = b.subarray(start, last)
      if (isAscii(seg)) {
        // One string for the whole segment; lines are slices of it. In ASCII a char is a byte,
        // so the length check is exact.
        splitText(seg.toString('latin1'), out, true)
        return
      }
      const text = seg.toString('utf8')
      // A line of n UTF-16 units came from at most 3n bytes; only a line that could be too long
      // needs its bytes counted, which the slow path does.
      if (!splitText(text, out, false)) frameBytes(b, start, last, out)
    }

    // Appends the lines of text (LF-separated, the last line ending at the end of text) to out.
    // exact: a char is a byte (ASCII). Otherwise it gives up (returns false, out and stats
    // untouched) as soon as a line might be too long, i.e. has more than maxLineBytes / 3 units.
    const splitText = (text: string, out: string[], exact: boolean): boolean => {
      const mark = out.length
      let pos = 0
      const n = text.length
      let seen = 0
      for (;;) {
        let lf = text.indexOf('\n', pos)
        if (lf < 0) lf = n
        let end = lf
        if (end > pos && text.charCodeAt(end - 1) === CR) end--
        if (!exact && 3 * (end - pos) > maxLineBytes) { out.length = mark; return false }
        if (end - pos > maxLineBytes) {
          stats.lines += seen; seen = 0
          tooLong(Buffer.from(text.slice(pos, pos + SNIPPET), 'latin1'))
        } else {
          out.push(text.slice(pos, end))
          seen++
        }
        if (lf >= n) break
        pos = lf + 1
      }
      stats.lines += seen
      return true
    }

    // Byte-exact framing for non-ASCII text that may hold an over-long line.
    const frameBytes = (b: Buffer, start: number, last: number, out: string[]): void => {
      let pos = start
      while (pos <= last) {
        const lf = b.indexOf(LF, pos)
        let end = lf
        if (end > pos && b[end - 1] === CR) end--
        if (end - pos > maxLineBytes) tooLong(b.subarray(pos, end))
        else { stats.lines++; out.push(b.toString('utf8', pos, end)) }
        pos = lf + 1
      }
    }

    for await (let chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError(`lines: expected Buffer or Uint8Array chunks, got ${typeof chunk}`)
      if (!started) {
        if (bomPending !== undefined) chunk = Buffer.concat([bomPending, chunk])
        if (chunk.length < 3 && isBomPrefix(chunk)) { bomPending = Buffer.from(chunk); continue }
        bomPending = undefined
        started = true
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3)
      }
      if (chunk.length === 0) continue
      const out: string[] = []
      frame(chunk, out)
      if (out.length > 0) yield out
    }
    // End of input: a cut BOM is data; the unfinished line is the last line.
    if (bomPending !== undefined && bomPending.length > 0) pushCarry(bomPending, 0, bomPending.length)
    if (carryLen > 0 || discarding) {
      const line = finishCarry(new Uint8Array(0), 0, 0)
      if (line !== undefined) yield [line]
    }
  }

  return Object.assign(linesStage, { stats })
}

function isBomPrefix (b: Uint8Array): boolean {
  return (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb)
}
