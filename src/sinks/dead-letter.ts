import { isUtf8 } from 'node:buffer'
import { closeSync, openSync, writeSync } from 'node:fs'
import { SinkError } from '../errors.js'
import type { Rejection, RejectionHandler } from '../types.js'
import { describeErr } from './write.js'

/** A dead-letter file being written: its handler for the stages, its count, and `close()`. */
export interface DeadLetter {
  /** Give this to the framer and the parser as their `onError` (or call it from your own). */
  readonly handler: RejectionHandler
  /** Live counters: rejections written. */
  readonly stats: { written: number }
  /** Closes the file. Idempotent. */
  close: () => void
}

/**
 * The dead-letter line of one rejection: the rejection's fields (`stage`, `reason`, `detail`,
 * `line`, `raw`), then `rawBase64`, the line's original bytes in base64, when those bytes are not
 * valid UTF-8 (so `raw`, which shows each invalid sequence as U+FFFD, is not the line), and
 * `truncated: true` when only the first 256 bytes of a `too-long` line were kept. Ends with LF.
 *
 * Replaying a dead-letter file: for each line, `rawBase64 ? Buffer.from(rawBase64, 'base64') :
 * Buffer.from(raw)`, followed by LF, is the rejected input line.
 *
 * @example
 * ```ts
 * deadLetterLine({ stage: 'parseCsv', reason: 'bad-float', detail: '...', line: 3, raw: '1,a,x' })
 * // '{"stage":"parseCsv","reason":"bad-float","detail":"...","line":3,"raw":"1,a,x"}\n'
 * ```
 */
export function deadLetterLine (r: Rejection, bytes?: Uint8Array): string {
  let line = JSON.stringify({ stage: r.stage, reason: r.reason, detail: r.detail, line: r.line, raw: r.raw })
  // Only rejections pay for the check; valid UTF-8 is exactly what `raw` shows.
  if (bytes !== undefined && !isUtf8(bytes)) {
    line = line.slice(0, -1) + `,"rawBase64":"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')}"}`
  }
  // The framer keeps the first 256 bytes of a line too long to hold: the whole line when shorter.
  if (r.reason === 'too-long' && (bytes === undefined || bytes.length >= TOO_LONG_KEPT)) line = line.slice(0, -1) + ',"truncated":true}'
  return line + '\n'
}

/**
 * Opens a dead-letter file (created or truncated) and returns a rejection handler that appends
 * one JSON line per rejected line ({@link deadLetterLine}). Each line is written synchronously
 * as the rejection happens, so nothing is held in memory and nothing is lost when the run stops.
 * A file that cannot be opened throws a {@link SinkError} (`ERR_SINK_OPEN`) at once; a write that
 * fails (a full disk) throws `ERR_SINK_WRITE` from the handler, which stops the run.
 *
 * @example
 * ```ts
 * const dead = deadLetter('rejected.jsonl')
 * try {
 *   for await (const batch of pipe(fromFile('in.csv'), lines({ onError: dead.handler }), parseCsv({ columns, onError: dead.handler }))) use(batch)
 * } finally { dead.close() }
 * ```
 */
export function deadLetter (path: string): DeadLetter {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" must be a non-empty string')
  let fd: number | undefined
  try {
    fd = openSync(path, 'w')
  } catch (err) {
    throw new SinkError('ERR_SINK_OPEN', `cannot open ${path} for writing: ${describeErr(err)}`, { cause: err })
  }
  const stats = { written: 0 }
  const handler: RejectionHandler = (r, bytes) => {
    if (fd === undefined) throw new SinkError('ERR_SINK_WRITE', `cannot write ${path}: it is closed`)
    const buf = Buffer.from(deadLetterLine(r, bytes), 'utf8')
    try {
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off)
    } catch (err) {
      throw new SinkError('ERR_SINK_WRITE', `cannot write ${path}: ${describeErr(err)}`, { cause: err })
    }
    stats.written++
  }
  const close = (): void => {
    if (fd === undefined) return
    const f = fd
    fd = undefined
    closeSync(f)
  }
  return { handler, stats, close }
}

const TOO_LONG_KEPT = 256
