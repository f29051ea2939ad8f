// node:worker_threads costs about 1 ms to load: fetched when a worker starts, not imported (the
// CLI bundle hoists static imports of built-ins to its top, where every run would pay for it).
import type * as WorkerThreads from 'node:worker_threads'
import type { LineBatch } from '../batch/line-batch.js'
import type { RecordBatch } from '../batch/record-batch.js'
import { ConfigError, RejectedInputError, SensorpipeError, SinkError, SourceError } from '../errors.js'
import { type FilterStats, where } from '../filter/filter.js'
import type { LinesStats } from '../framing/lines.js'
import type { MultilineStats } from '../parse/csv.js'
import { frameAndParse, type ParseOptions } from '../parse/from-options.js'
import type { ParseStats } from '../parse/reject.js'
import type { RejectionHandler, SourceOptions } from '../types.js'
import { DEFAULT_MAX_LINE_BYTES } from '../framing/lines.js'
import { pipe } from '../pipe.js'
import { positiveInteger } from '../util/validate.js'
import { fromWire, linesFromSlot, lineSlots, type WireError, type WireStats, type WorkerInit, type WorkerMessage } from './wire.js'

export interface ParseInWorkerOptions extends SourceOptions {
  /** Receives each rejected line, on this thread, in input order (a dead-letter writer). */
  onRejected?: RejectionHandler
  /**
   * Bytes read per chunk (see fromFile), and so the most a batch holds. Default 1 MiB, four times
   * fromFile's: each batch costs a message, a wake-up of the thread it goes to and the setting
   * up of every stage for it on both threads (the 20M-line reference job: 1.44 s with 256 KiB,
   * 1.20 s with 1 MiB, about 150 µs less per batch; peak RSS 83 and 97 MiB).
   */
  chunkBytes?: number
  /** Messages (record batches, or lines handed over) sent ahead of the consumer, at most. Default 4. */
  window?: number
  /**
   * A `where` expression to apply on the worker too, after parsing (what it drops never crosses
   * threads, and the main thread has that much less to do); its counters are `stats.filter`.
   */
  where?: string
  /**
   * Which batches this thread parses itself, the worker sending their lines framed but not
   * parsed: 'auto' (the default) those the worker frames while this thread has taken every
   * message it sent, so the thread that would wait parses instead; 'none'; or 'all' (for
   * tests). Only where each batch parses alone: not with `header` or `quotedNewlines`.
   */
  parseHere?: 'auto' | 'none' | 'all'
  /** Counters to keep up to date instead of new ones: a built pipeline's framer, parser and filter (runPipeline passes its own). */
  into?: { framer: { readonly stats: LinesStats }, parser: { readonly stats: ParseStats }, filter?: { readonly stats: FilterStats } | undefined }
}

/** A file parsed on a worker thread: the record batches, and the framer's and parser's live counters. */
export interface ParsedInWorker extends AsyncIterable<RecordBatch> {
  readonly stats: {
    framer: LinesStats
    parser: ParseStats
    multiline: MultilineStats
    filter: FilterStats
    /** Batches of lines parsed on the worker and on this thread (see `parseHere`). */
    batches: { worker: number, here: number }
  }
}

/** Bytes a worker reads per chunk unless told otherwise (see ParseInWorkerOptions.chunkBytes). */
export const WORKER_CHUNK_BYTES = 1 << 20

// The worker's code: beside this module (dist/worker/ for the library, dist/ for the CLI bundle).
const WORKER_URL = new URL('./parse-worker.js', import.meta.url)

/**
 * Reads a file, frames it and parses it on a worker thread, so that framing and parsing use
 * the second core while this thread filters, windows and writes. The same stages run as in
 * `pipe(fromFile(path), lines(...), parseCsv(...))` (built from the same options by
 * `frameAndParse`), so the batches, counters and rejections are the same; only the thread
 * differs. Memory is bounded: at most `window` batches (one file chunk each) are parsed ahead
 * of the consumer, and the worker waits for the consumer before reading on. Breaking out of
 * the loop, an error, or aborting `signal` stops the worker. Counters in `stats` are updated as
 * each batch arrives. Columnar batches (typed CSV) cross threads without copying their numbers;
 * row batches (JSON lines, key=value) are cloned, which costs more than it saves.
 *
 * @example
 * ```ts
 * const parsed = parseInWorker('big.csv', { columns: 'ts:time,sensor:string,value:float' })
 * for await (const batch of pipe(parsed, where('value > 0'), tumbling({ size: '1s', time: 'ts', key: 'sensor' }))) { ... }
 * console.error(parsed.stats.parser.malformed, 'malformed')
 * ```
 */
export function parseInWorker (path: string, options: ParseOptions = {}, run: ParseInWorkerOptions = {}): ParsedInWorker {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" must be a non-empty string')
  // Validate here, before anything starts: the worker builds the same stages from the same options.
  // (With `into`, the caller built these stages from the same options, so they are valid.)
  const { framer, parser } = run.into ?? frameAndParse(options)
  if (run.where !== undefined && typeof run.where !== 'string') throw new TypeError('"where" must be a string')
  // Compiled here too, so that a bad expression throws before the worker starts.
  const filter = run.into?.filter ?? (run.where === undefined ? undefined : where(run.where))
  const window = positiveInteger('window', run.window ?? 4)
  const chunkBytes = run.chunkBytes === undefined ? WORKER_CHUNK_BYTES : positiveInteger('chunkBytes', run.chunkBytes)
  const { onRejected, signal } = run
  if (onRejected !== undefined && typeof onRejected !== 'function') throw new TypeError('"onRejected" must be a function')
  const parseHere = run.parseHere ?? 'auto'
  if (!['auto', 'none', 'all'].includes(parseHere)) throw new TypeError('"parseHere" must be auto, none or all')
  // This thread's own parser and filter, for the batches of lines it parses: new stages of the
  // same options (the counters are the worker's and theirs added up), rejections straight to
  // onRejected, in input order with the worker's (messages are taken in order).
  const here = parseHere !== 'none' && options.header !== true && options.quotedNewlines !== true
    ? { parser: frameAndParse(options, onRejected, true).parser, filter: run.where === undefined ? undefined : where(run.where) }
    : undefined
  const stats = {
    framer: framer.stats,
    parser: parser.stats,
    multiline: (parser as { multiline?: MultilineStats }).multiline ?? { records: 0, lines: 0 },
    filter: filter?.stats ?? { kept: 0, dropped: 0 },
    batches: { worker: 0, here: 0 }
  }
  let fromWorker: WireStats | undefined
  const update = (): void => {
    const s = fromWorker
    if (s === undefined) return
    Object.assign(stats.framer, s.framer)
    const { reasons, ...counts } = s.parser
    Object.assign(stats.parser, counts)
    for (const reason of Object.keys(stats.parser.reasons)) if (!(reason in reasons)) stats.parser.reasons[reason] = 0
    Object.assign(stats.parser.reasons, reasons)
    if (s.multiline !== undefined) Object.assign(stats.multiline, s.multiline)
    if (s.filter !== undefined) Object.assign(stats.filter, s.filter)
    if (here === undefined || stats.batches.here === 0) return
    const mine = here.parser.stats
    stats.parser.lines += mine.lines
    stats.parser.parsed += mine.parsed
    stats.parser.malformed += mine.malformed
    for (const [reason, n] of Object.entries(mine.reasons)) stats.parser.reasons[reason] = (stats.parser.reasons[reason] ?? 0) + n
    if (here.filter !== undefined) {
      stats.filter.kept += here.filter.stats.kept
      stats.filter.dropped += here.filter.stats.dropped
    }
  }
  // The record batches of a batch of lines, parsed (and filtered) here.
  async function * parsedHere (lines: LineBatch): AsyncGenerator<RecordBatch> {
    const stages = here!.filter === undefined ? [here!.parser] : [here!.parser, here!.filter]
    yield * pipe((async function * () { yield lines })(), ...stages) as AsyncIterable<RecordBatch>
  }

  async function * parsedInWorker (): AsyncGenerator<RecordBatch> {
    if (signal?.aborted === true) return
    // Two slots for batches of lines (one parsed here while the worker fills the other), each
    // the largest batch the framer makes: a chunk and a carried line. And the count of messages
    // this thread has taken and the slots' states, for the worker to read as it frames.
    const slots = here === undefined ? [] : lineSlots(2, chunkBytes + (options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES) + 8)
    const control = here === undefined ? undefined : new Int32Array(new SharedArrayBuffer(4 * (1 + slots.length)))
    const handOver = control === undefined ? undefined : { control: control.buffer as SharedArrayBuffer, slots, mode: parseHere === 'all' ? 'all' as const : 'auto' as const }
    // Slots for record batches: those sent ahead (window), the one being read and one more.
    const held = new Int32Array(new SharedArrayBuffer(4 * (window + 2)))
    const init: WorkerInit = { path, chunkBytes, options: plain(options), forwardRejections: onRejected !== undefined, window, where: run.where, handOver, recordSlots: held.buffer as SharedArrayBuffer }
    const { Worker } = process.getBuiltinModule('node:worker_threads') as typeof WorkerThreads
    const worker = new Worker(WORKER_URL, { workerData: init, stdout: false, stderr: false })
    const queue: Array<WorkerMessage | { t: 'exit', code: number } | { t: 'abort' }> = []
    let head = 0
    let notify: (() => void) | undefined
    const push = (m: typeof queue[number]): void => {
      queue.push(m)
      const n = notify
      notify = undefined
      n?.()
    }
    worker.on('message', (m: WorkerMessage) => push(m))
    worker.on('error', err => push({ t: 'error', error: { name: 'Error', code: undefined, message: err.stack ?? String(err) }, stats: snapshot() }))
    worker.on('exit', code => push({ t: 'exit', code }))
    const onAbort = (): void => push({ t: 'abort' })
    signal?.addEventListener('abort', onAbort, { once: true })
    const snapshot = (): WireStats => ({ framer: stats.framer, parser: stats.parser, multiline: stats.multiline, filter: stats.filter })
    try {
      for (;;) {
        while (head === queue.length) await new Promise<void>(resolve => { notify = resolve })
        const m = queue[head]!
        queue[head++] = undefined as never
        if (head > 64 && head * 2 > queue.length) { queue.splice(0, head); head = 0 }
        switch (m.t) {
          case 'rejected':
            onRejected!(m.rejection, m.bytes)
            break
          case 'batch':
            fromWorker = m.stats
            update()
            if (control !== undefined) Atomics.add(control, 0, 1)
            worker.postMessage(1)
            stats.batches.worker++
            yield fromWire(m, held)
            break
          case 'lines': {
            fromWorker = m.stats
            Atomics.add(control!, 0, 1)
            worker.postMessage(1)
            stats.batches.here++
            const batches: RecordBatch[] = []
            // The slot is free again once the parser releases the batch.
            const lines = linesFromSlot(m, slots[m.slot]!, () => { Atomics.store(control!, 1 + m.slot, 0) })
            try {
              for await (const batch of parsedHere(lines)) batches.push(batch)
            } finally {
              update()
            }
            yield * batches
            break
          }
          case 'end':
            fromWorker = m.stats
            update()
            return
          case 'error':
            fromWorker = m.stats
            update()
            throw fromWireError(m.error)
          case 'abort':
            // Stop reading: what was already parsed and queued is not passed on, and the
            // counters stay those of the last batch passed on.
            return
          case 'exit':
            throw new SourceError('ERR_WORKER_EXIT', `the parse worker for ${path} stopped unexpectedly (exit code ${m.code})`, { path })
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      await worker.terminate()
    }
  }
  return Object.assign(parsedInWorker(), { stats })
}

// The options as plain data (a clone would fail on a function; none of these is one).
function plain (o: ParseOptions): ParseOptions {
  const { maxLineBytes, format, columns, header, delimiter, quotedNewlines, onError, errors } = o
  return { maxLineBytes, format, columns, header, delimiter, quotedNewlines, onError, errors }
}

// The worker's error, as the class it had there.
function fromWireError (e: WireError): Error {
  switch (e.name) {
    case 'RejectedInputError': return new RejectedInputError(e.message, e.line ?? 0, e.reason ?? '')
    case 'SourceError': return new SourceError(e.code ?? 'ERR_SOURCE', e.message, { path: e.path })
    case 'SinkError': return new SinkError(e.code ?? 'ERR_SINK', e.message)
    case 'ConfigError': return new ConfigError(e.message)
    default: {
      if (e.code !== undefined) {
        const err = new SensorpipeError(e.code, e.message)
        err.name = e.name
        return err
      }
      return new Error(e.message)
    }
  }
}
