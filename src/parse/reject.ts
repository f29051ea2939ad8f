import { RejectedInputError } from '../errors.js'
import type { LineBatch } from '../batch/line-batch.js'
import type { Rejection, RejectionHandler } from '../types.js'

/** What a parser does with a line that does not parse. */
export type OnError = 'skip' | 'fail' | RejectionHandler

/** Live counters of a parse stage. */
export interface ParseStats {
  /** Lines received. */
  lines: number
  /** Records produced. */
  parsed: number
  /** Lines rejected, in total. */
  malformed: number
  /** Lines rejected, by reason (`field-count`, `bad-float`, ...). */
  reasons: Record<string, number>
}

export function newParseStats (): ParseStats {
  return { lines: 0, parsed: 0, malformed: 0, reasons: Object.create(null) as Record<string, number> }
}

/**
 * Builds the rejection path shared by the parsers: count by reason, then skip, hand to a
 * function (the CLI's error output), or throw {@link RejectedInputError} (`'fail'`).
 */
export function rejecter (stage: string, stats: ParseStats, onError: OnError | undefined): (reason: string, detail: string, raw: string, line: number, bytes?: Uint8Array) => void {
  if (onError !== undefined && onError !== 'skip' && onError !== 'fail' && typeof onError !== 'function') {
    throw new TypeError('"onError" must be \'skip\', \'fail\' or a function')
  }
  return (reason, detail, raw, line, bytes) => {
    stats.malformed++
    stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1
    if (onError === undefined || onError === 'skip') return
    if (onError === 'fail') throw new RejectedInputError(`line ${line}: ${detail}`, line, reason)
    const r: Rejection = { stage, reason, detail, line, raw }
    onError(r, bytes)
  }
}

/** Line i's original bytes (a view, no copy), for a rejection handler; only rejections pay for it. */
export function lineBytes (batch: LineBatch, i: number): Uint8Array {
  return batch.units.subarray(batch.start(i), batch.end(i))
}

export function snippet (s: string): string {
  return s.length <= 60 ? JSON.stringify(s) : JSON.stringify(s.slice(0, 57) + '...')
}
