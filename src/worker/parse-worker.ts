// The parse worker: reads a file, frames and parses it with the same stages as one thread would
// (frameAndParse), and sends the record batches to the thread that started it. At most
// `window` batches are in flight: the worker waits for an acknowledgement before sending more,
// so memory stays bounded however slow the reader is. With `handOver`, some batches of lines
// go over framed but not parsed, for the reading thread to parse when it would otherwise wait.
// See src/worker/parallel.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { SensorpipeError } from '../errors.js'
import type { LineBatch } from '../batch/line-batch.js'
import type { RecordBatch } from '../batch/record-batch.js'
import { where } from '../filter/filter.js'
import { DEFAULT_MAX_LINE_BYTES } from '../framing/lines.js'
import { frameAndParse } from '../parse/from-options.js'
import { pipe } from '../pipe.js'
import { fromFile } from '../sources/file.js'
import type { MultilineStats } from '../parse/csv.js'
import { linesToSlot, RecordSlots, toWire, type WireError, type WireStats, type WorkerInit, type WorkerMessage } from './wire.js'

const port = parentPort!
const init = workerData as WorkerInit

let credits = init.window
let wake: (() => void) | undefined
port.on('message', (n: number) => {
  credits += n
  const w = wake
  wake = undefined
  w?.()
})

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer)
const recordSlots = new RecordSlots(init.recordSlots)

const { framer, parser } = frameAndParse(init.options, init.forwardRejections
  ? (rejection, bytes) => post({ t: 'rejected', rejection, bytes: bytes === undefined ? undefined : Uint8Array.from(bytes) })
  : undefined, true) // reused storage: offsets and chunks come back as batches are released here
const multiline = (parser as { multiline?: MultilineStats }).multiline
const filter = init.where === undefined ? undefined : where(init.where)
const stats = (): WireStats => ({
  framer: { ...framer.stats },
  parser: { ...parser.stats, reasons: { ...parser.stats.reasons } },
  multiline: multiline === undefined ? undefined : { ...multiline },
  filter: filter === undefined ? undefined : { ...filter.stats }
})

// One credit per message of records or lines.
async function credit (): Promise<void> {
  while (credits === 0) await new Promise<void>(resolve => { wake = resolve })
  credits--
}

// Batches of lines handed over unparsed: in 'auto' mode, whenever the reading thread has taken
// every message sent so far (an acknowledgement by message would come too late: this thread
// reads synchronously and seldom turns its event loop). The stages after this one take one
// batch and give at most one before they take the next, so the messages stay in input order.
// Only a batch without a line over maxLineBytes goes: the framer reports those as it frames, and
// on one thread the parser's rejections of the lines before one come first.
const handOver = init.handOver
const control = handOver === undefined ? undefined : new Int32Array(handOver.control)
const maxLine = init.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
let sent = 0
async function * handingOver (batches: AsyncIterable<LineBatch>): AsyncGenerator<LineBatch> {
  for await (const batch of batches) {
    const slot = control !== undefined && (handOver!.mode === 'all' || Atomics.load(control, 0) === sent) ? freeSlot(control) : -1
    if (slot >= 0 && noLongLine(batch.units, maxLine)) {
      const message = linesToSlot(batch, slot, handOver!.slots[slot]!, stats())
      if (message !== undefined) {
        await credit()
        Atomics.store(control!, 1 + slot, 1)
        batch.release()
        post(message)
        sent++
        continue
      }
    }
    yield batch
  }
}

// A slot the reading thread is done with, or -1.
function freeSlot (control: Int32Array): number {
  for (let k = 1; k < control.length; k++) if (Atomics.load(control, k) === 0) return k - 1
  return -1
}

// Whether every line of `units` (whole lines, each ending in LF) is at most `max` bytes long: an
// LF at most max bytes after each line's start, found from the far end (a few calls per chunk,
// not one per line). A line of exactly `max` bytes before a CR LF counts as too long here.
function noLongLine (units: Uint8Array, max: number): boolean {
  const n = units.length
  let pos = 0
  while (pos < n) {
    if (n - pos <= max) return true
    const lf = units.lastIndexOf(LF, pos + max)
    if (lf < pos) return false
    pos = lf + 1
  }
  return true
}
const LF = 10
const FIRST_CHUNK_BYTES = 16384

const stages = [framer, ...(handOver === undefined ? [] : [handingOver]), parser, ...(filter === undefined ? [] : [filter])]

try {
  // Reads start at 16 KiB and double up to the chunk size: with a whole 1 MiB chunk first, the
  // main thread waited about 100 ms for a first batch parsed by code not yet optimized (the
  // reference job, --threads 2: 2M 0.321 -> 0.296 s, 20M 1.18 -> 1.14; on one thread the ramp
  // gains nothing and the 20M run peaked 1.4 MiB higher, so fromFile does not ramp by default).
  for await (const batch of pipe(fromFile(init.path, { chunkBytes: init.chunkBytes, firstChunkBytes: FIRST_CHUNK_BYTES, reuse: true }), ...stages) as AsyncIterable<RecordBatch>) {
    await credit()
    const { message, transfer, copied } = toWire(batch, stats(), recordSlots)
    post(message, transfer)
    if (copied) batch.release()
    sent++
  }
  post({ t: 'end', stats: stats() })
} catch (err) {
  const e = err as Error & { code?: string, line?: number, reason?: string, path?: string }
  const error: WireError = { name: e.name, code: SensorpipeError.is(e) ? e.code : undefined, message: e.message, line: e.line, reason: e.reason, path: e.path }
  if (!SensorpipeError.is(e)) error.message = e.stack ?? e.message
  post({ t: 'error', error, stats: stats() })
}
port.unref()
