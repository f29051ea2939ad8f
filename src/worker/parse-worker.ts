// The parse worker: reads a file, frames and parses it with the same stages as one thread would
// (frameAndParse), and sends the record batches to the thread that started it. At most
// `window` batches are in flight: the worker waits for an acknowledgement before sending more,
// so memory stays bounded however slow the reader is. See src/worker/parallel.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { SensorpipeError } from '../errors.js'
import type { RecordBatch } from '../batch/record-batch.js'
import { where } from '../filter/filter.js'
import { frameAndParse } from '../parse/from-options.js'
import { pipe } from '../pipe.js'
import { fromFile } from '../sources/file.js'
import type { MultilineStats } from '../parse/csv.js'
import { toWire, type WireError, type WireStats, type WorkerInit, type WorkerMessage } from './wire.js'

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
const stages = filter === undefined ? [framer, parser] : [framer, parser, filter]

try {
  for await (const batch of pipe(fromFile(init.path, { chunkBytes: init.chunkBytes, reuse: true }), ...stages) as AsyncIterable<RecordBatch>) {
    while (credits === 0) await new Promise<void>(resolve => { wake = resolve })
    credits--
    const { message, transfer } = toWire(batch, stats())
    post(message, transfer)
  }
  post({ t: 'end', stats: stats() })
} catch (err) {
  const e = err as Error & { code?: string, line?: number, reason?: string, path?: string }
  const error: WireError = { name: e.name, code: SensorpipeError.is(e) ? e.code : undefined, message: e.message, line: e.line, reason: e.reason, path: e.path }
  if (!SensorpipeError.is(e)) error.message = e.stack ?? e.message
  post({ t: 'error', error, stats: stats() })
}
port.unref()
