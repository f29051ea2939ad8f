import { closeSync, openSync, writeSync, type WriteStream } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { ConfigError, SinkError } from './errors.js'
import { where } from './filter/filter.js'
import { DEFAULT_MAX_LINE_BYTES, type lines } from './framing/lines.js'
import type { MultilineStats } from './parse/csv.js'
import { errorPolicy, frameAndParse, type ParserStage } from './parse/from-options.js'
import { parseInWorker } from './worker/parallel.js'
import { RecordBatch } from './batch/record-batch.js'
import { pipe } from './pipe.js'
import { type FormatStage, toCsv, toJsonLines } from './sinks/format.js'
import { deadLetter } from './sinks/dead-letter.js'
import { writeTo } from './sinks/write.js'
import type { ReplayStats } from './sources/replay.js'
import { endStream, openOutputStream, selectSource } from './sources/select.js'
import type { DataBits, Parity, SerialEvent, SerialStats, StopBits } from './sources/serial.js'
import { wholeLines, type WholeLinesSource } from './sources/whole-lines.js'
import type { RejectionHandler, SensorRecord, Stage } from './types.js'
import type { LatePolicy, WindowStage, WindowStats } from './window/common.js'
import type { MemoryReport, MemoryRun } from './memory/run.js'
import { session } from './window/session.js'
import { sliding } from './window/sliding.js'
import { tumbling } from './window/tumbling.js'
import { importModule } from './util/import-module.js'

/**
 * Everything a run is made of, one option per CLI flag (`--max-line-bytes` is `maxLineBytes`).
 * Each option maps onto one library stage; {@link buildPipeline} shows which.
 */
export interface PipelineOptions {
  /** Source: a file path, or `-` / undefined for standard input. (`--file`) */
  file?: string
  /** Keep reading appended data (`tail -f`). (`--follow`) */
  follow?: boolean
  /**
   * Threads: 1 (the default) reads, frames and parses on the main thread; 2 does that on a worker
   * thread ({@link parseInWorker}) while the main thread filters, windows and writes: faster on
   * big files, at the cost of a second heap (docs/performance.md). Needs `file`, without
   * `follow` or a memory option. (`--threads`)
   */
  threads?: number
  /** Framer bound, in bytes. (`--max-line-bytes`, {@link lines}) */
  maxLineBytes?: number
  /** Input format: `csv`, `json` (JSON lines) or `kv` (key=value). Default: csv when `columns` or `header` is given, else json. (`--format`) */
  format?: 'csv' | 'json' | 'kv'
  /** Typed columns, `ts:time,sensor:string,value:float`. (`--columns`, {@link parseCsv}) */
  columns?: string
  /** CSV: the first line is a header. (`--header`) */
  header?: boolean
  /** CSV delimiter. (`--delimiter`) */
  delimiter?: string
  /** CSV: a quoted field may hold line breaks (RFC 4180); a record then spans lines. (`--quoted-newlines`) */
  quotedNewlines?: boolean
  /**
   * A line that does not frame or parse: `skip` (count it; the default), `fail` (stop with its
   * line number) or `dead-letter:FILE` (count it and write it to FILE as a JSON line with its
   * line number, reason and raw bytes; {@link deadLetterLine}). (`--on-error`)
   */
  onError?: 'skip' | 'fail' | `dead-letter:${string}`
  /** The dead-letter file, as `onError: 'dead-letter:FILE'`; with `fail`, the line that stopped the run is written to it. (`--errors`) */
  errors?: string
  /** Keep only records for which this expression is true. (`--where`, {@link where}) */
  where?: string
  /** Tumbling window: a duration (`1s`) by event time, or a record count (`100`). (`--window`, {@link tumbling}) */
  window?: string
  /** The event-time field, `ts` or `ts:s`. (`--time`) */
  time?: string
  /** Key fields, comma-separated. (`--key`) */
  key?: string
  /** Aggregates, `count,mean,min,max` or `mean:temp`. (`--agg`) */
  agg?: string
  /** The field plain aggregates read; default: the one numeric column that is not time or key. (`--value`) */
  value?: string
  /** Most keys held open in a window. (`--max-keys`) */
  maxKeys?: number
  /** With a duration `window`: start a window every `slide` (sliding windows). (`--slide`, {@link sliding}) */
  slide?: string
  /** Session windows instead of `window`: a key's session ends after this gap. (`--session`, {@link session}) */
  session?: string
  /** How far event time may run back before a record is late; default 0. (`--allowed-lateness`) */
  allowedLateness?: string
  /** Late records: `drop` (default), `emit` (to `lateOutput`) or `update` (re-emit the corrected window). (`--late`) */
  late?: LatePolicy
  /** Write late records here as JSON lines; implies `late: 'emit'`. (`--late-output`) */
  lateOutput?: string
  /** When no input arrives for this long, the watermark follows the wall clock. (`--idle-timeout`) */
  idleTimeout?: string
  /** Add `partial: true|false` to window results. (`--mark-partial`) */
  markPartial?: boolean
  /** Output path, or `-` / undefined for standard output. (`--output`) */
  output?: string
  /** Output format: `jsonl` (default) or `csv`. (`--output-format`) */
  outputFormat?: 'jsonl' | 'csv'

  // Serial source ({@link fromSerial}; docs/serial.md). Each needs `port`.
  /** Source: a serial port, e.g. `/dev/ttyUSB0`. (`--port`) */
  port?: string
  /** Line speed. Default 9600. (`--baud`) */
  baud?: number
  /** Data bits, 5 to 8. Default 8. (`--data-bits`) */
  dataBits?: DataBits
  /** Parity. Default none. (`--parity`) */
  parity?: Parity
  /** Stop bits. Default 1. (`--stop-bits`) */
  stopBits?: StopBits
  /** Hardware flow control. (`--rtscts`) */
  rtscts?: boolean
  /** Software flow control. (`--xonxoff`) */
  xonxoff?: boolean
  /** Sent after every open; `\r`, `\n`, `\xHH` escapes. (`--init`) */
  init?: string
  /** Sent after every open and then every `every`. (`--poll`) */
  poll?: string
  /** The poll interval, e.g. `1s`. Default 1s. (`--every`) */
  every?: string
  /** Keep the first line after each open instead of dropping it as partial. (`--keep-first-line`) */
  keepFirstLine?: boolean
  /** First reconnect wait, e.g. `100ms`; doubles up to `reconnectMax`. (`--reconnect-min`) */
  reconnectMin?: string
  /** Longest reconnect wait, e.g. `5s`. (`--reconnect-max`) */
  reconnectMax?: string
  /** Random variation of each wait, 0 to 1. Default 0.2. (`--reconnect-jitter`) */
  reconnectJitter?: number
  /** Failed opens allowed per disconnect; default unlimited. (`--reconnect-attempts`) */
  reconnectAttempts?: number
  /** Most bytes held between the port and a slow pipeline. Default 1 MiB. (`--buffer-bytes`) */
  bufferBytes?: number
  /** At that bound: `block` (stop reading; default), `drop-oldest` or `drop-newest`. (`--overflow`) */
  overflow?: 'block' | 'drop-oldest' | 'drop-newest'
  /** Write connection events (`{"event":"disconnected",...}`) to the output too. (`--emit-events`) */
  emitEvents?: boolean

  // Replay source ({@link fromReplay}). Each needs `replay`.
  /** Source: a recording made by `sensorpipe record`. (`--replay`) */
  replay?: string
  /** Play this many times faster than recorded. Default 1. (`--speed`) */
  speed?: number
  /** Play without waiting. (`--max-speed`) */
  maxSpeed?: boolean
  /** Shorten recorded silences longer than this, e.g. `2s`. (`--max-gap`) */
  maxGap?: string
  /** Play again from the top after the end, until stopped. (`--loop`) */
  loop?: boolean

  // Memory (docs/memory.md). Without any of them nothing is inserted into the pipeline.
  /** Measure the heap between stages and report a per-stage table. (`--heap-check`) */
  heapCheck?: boolean
  /** Least time between heap measurements after a full collection, e.g. `250ms`; default 1s. (`--heap-check-every`) */
  heapCheckEvery?: string
  /** Stop with a {@link HeapBudgetError} when the heap after a collection exceeds this many MB. (`--max-heap`) */
  maxHeap?: number
  /** Write V8 heap snapshots to this folder at the start, periodically and at the end; report the objects that grew. (`--heap-snapshot`) */
  heapSnapshot?: string
  /** Time between periodic heap snapshots, e.g. `30s`. Default 1m. (`--heap-snapshot-every`) */
  heapSnapshotEvery?: string
  /** Write a self-contained HTML report of heap use and throughput per stage over time. (`--profile`) */
  profile?: string
  /** Keep a weak view of each sensor's last reading, keyed by these fields; the CLI prints it on SIGUSR1. (`--last-readings`) */
  lastReadings?: string
}

/** Counts of one run; `summary lines=.. malformed=.. filtered=.. emitted=..` is made from these. */
export interface RunSummary {
  /** Lines read, malformed ones included. */
  lines: number
  /** Lines that did not frame (too long) or parse. */
  malformed: number
  /** Records dropped by `where`. */
  filtered: number
  /** Records written. */
  emitted: number
  /** Malformed lines by reason. */
  reasons: Record<string, number>
  /** Records a window dropped for having no valid time. */
  noTime: number
  /** With a window: its counters (late records, early flushes, corrections, partial results). */
  window?: WindowStats
  /** True when the output's reader went away before the end (EPIPE). */
  outputClosed: boolean
  /** CSV records whose quoted field spanned lines; their other lines are in `lines` but are not records (lines = malformed + parsed + multiline.lines). */
  multiline?: MultilineStats
  /** With a dead-letter file: the rejected lines written to it. */
  deadLettered?: number
  /** With `follow`: how often the file was truncated or replaced, and unfinished lines dropped then. */
  file?: FollowStats
  /** With `port`: disconnects, reconnects and dropped lines ({@link formatSerialStats}). */
  serial?: SerialStats
  /** With `replay`: lines and events played, entries skipped. */
  replay?: ReplayStats
  /** With a memory option (`heapCheck`, `maxHeap`, `heapSnapshot`, `profile`): what it measured and wrote. */
  memory?: MemoryReport
}

/** The streams and signal a run uses; the CLI passes the process's, tests their own. */
export interface RunContext {
  signal?: AbortSignal
  stdin?: Readable
  stdout?: Writable
  /** With `follow`: called when the file is truncated or replaced; reading goes on from its start. */
  onTruncate?: (event: TruncateEvent) => void
  /** With a memory option: receives its report at the end, also when the run fails (a {@link HeapBudgetError}, say). */
  onMemoryReport?: (report: MemoryReport) => void
}

/** A followed file was truncated (`rotated: false`) or replaced by a new file at its path. */
export interface TruncateEvent {
  path: string
  /** Bytes read from the file before. */
  position: number
  /** Its size now (-1 when it was replaced). */
  size: number
  rotated: boolean
  /** Length of the unfinished line the cut left, dropped (not glued to the next line); 0 if none. */
  dropped: number
}

/** Counters of a followed file: truncations, replacements (rotations), unfinished lines dropped. */
export interface FollowStats {
  truncated: number
  rotated: number
  cutLines: number
}

/** A named, runnable pipeline: what a file in `pipelines/` exports by default. */
export interface PipelineDefinition {
  /** One line shown by `sensorpipe run --help`-style listings. */
  description?: string
  /** The run's options; flags given on the command line override them. */
  options: PipelineOptions
  /** Extra stages placed after the window and before the output. */
  stages?: () => Array<Stage<RecordBatch, RecordBatch | SensorRecord[]>>
  /**
   * For a pipeline that is a script rather than a chain of stages (a demo, a one-off job):
   * `sensorpipe run FILE` calls it instead of running `options`, with the run's streams and a
   * signal that Ctrl-C aborts. It may still call {@link runPipeline} itself.
   */
  main?: (context: PipelineScriptContext) => Promise<void>
}

/** What a pipeline's `main` receives. */
export interface PipelineScriptContext {
  /** The definition's options, with the command line's flags applied. */
  options: PipelineOptions
  /** Aborted by Ctrl-C or SIGTERM. */
  signal: AbortSignal
  stdout: Writable
  stderr: Writable
}

/**
 * Declares a pipeline for `sensorpipe run pipelines/NAME.ts`. Validates the options' shape at
 * once (a bad option is a TypeError when the file is loaded).
 *
 * @example
 * ```ts
 * export default definePipeline({
 *   description: 'per-sensor 1 s means',
 *   options: { file: 'fixtures/greenhouse.csv', columns: 'ts:time,sensor:string,value:float', key: 'sensor', time: 'ts', window: '1s', agg: 'count,mean' }
 * })
 * ```
 */
export function definePipeline (definition: PipelineDefinition): PipelineDefinition {
  if (definition === null || typeof definition !== 'object' || definition.options === null || typeof definition.options !== 'object') {
    throw new TypeError('definePipeline needs { options: { ... } }')
  }
  if (definition.stages !== undefined && typeof definition.stages !== 'function') throw new TypeError('"stages" must be a function returning stages')
  if (definition.main !== undefined && typeof definition.main !== 'function') throw new TypeError('"main" must be an async function')
  buildPipeline(definition.options, { stages: definition.stages })
  return definition
}

/** A built, not yet started pipeline: its record stages in order and their live stats. */
export interface BuiltPipeline {
  framer: ReturnType<typeof lines>
  parser: ParserStage
  filter: ReturnType<typeof where> | undefined
  window: WindowStage | undefined
  /** Every stage from bytes to records: framer, parser, filter, window, extra stages. */
  stages: Array<Stage<any, any>>
  formatter: FormatStage
}

/**
 * Turns options into stages: `lines` → `parseCsv` / `parseJson` / `parseKeyValue` → `where`
 * → `tumbling` → extra stages → `toJsonLines` / `toCsv`. Every option is validated here,
 * before anything is read; a bad one throws a TypeError or ConfigError that names it.
 */
export function buildPipeline (options: PipelineOptions, extra: { stages?: PipelineDefinition['stages'], onRejected?: RejectionHandler, onLate?: (r: SensorRecord) => void } = {}): BuiltPipeline {
  const o = options
  // Storage is reused where only sensorpipe's own stages hold batches: not with the memory
  // tools, whose stages keep (weak) references to batches, and user stages get batches
  // disowned first (below).
  const reuse = !wantsMemory(o)
  const { framer, parser } = frameAndParse(o, extra.onRejected, reuse)
  if (o.threads !== undefined && o.threads !== 1 && o.threads !== 2) throw new ConfigError(`--threads must be 1 or 2, got ${String(o.threads)}`)
  const stages: Array<Stage<any, any>> = [framer, parser]
  const filterStage = o.where === undefined ? undefined : where(o.where)
  if (filterStage !== undefined) stages.push(filterStage)
  let windowStage: BuiltPipeline['window']
  if (o.window !== undefined || o.session !== undefined) {
    windowStage = windowFor(o, extra.onLate, reuse)
    stages.push(windowStage)
  } else {
    for (const [flag, v] of [['--time', o.time], ['--key', o.key], ['--agg', o.agg], ['--max-keys', o.maxKeys], ['--slide', o.slide],
      ['--allowed-lateness', o.allowedLateness], ['--late', o.late], ['--late-output', o.lateOutput], ['--idle-timeout', o.idleTimeout],
      ['--mark-partial', o.markPartial]] as const) {
      if (v !== undefined) throw new ConfigError(`${flag} needs --window or --session`)
    }
  }
  const own = extra.stages?.() ?? []
  if (reuse && own.length > 0) stages.push(disowning)
  for (const s of own) {
    if (typeof s !== 'function') throw new ConfigError('a pipeline\'s "stages" must return functions')
    stages.push(s)
  }
  const outputFormat = o.outputFormat ?? 'jsonl'
  if (outputFormat !== 'jsonl' && outputFormat !== 'csv') throw new ConfigError(`unknown output format "${String(outputFormat)}" (use jsonl or csv)`)
  const formatter = outputFormat === 'csv' ? toCsv() : toJsonLines({ reuse })
  return { framer, parser, filter: filterStage, window: windowStage, stages, formatter }
}

// Before a pipeline's own stages: they may keep the batches they pass on, so no batch that
// reaches them has its storage reused (see Owned).
async function * disowning (batches: AsyncIterable<RecordBatch | SensorRecord[]>): AsyncGenerator<RecordBatch | SensorRecord[]> {
  for await (const batch of batches) {
    if (batch instanceof RecordBatch) batch.disown()
    yield batch
  }
}

// The window stage of the options: tumbling (by time or count), sliding (`slide`) or session.
function windowFor (o: PipelineOptions, onLate: ((r: SensorRecord) => void) | undefined, reuse: boolean): WindowStage {
  if (o.window !== undefined && o.session !== undefined) throw new ConfigError('--window and --session are two kinds of window: give one')
  if (o.session !== undefined && o.slide !== undefined) throw new ConfigError('--slide goes with --window DURATION, not --session')
  const common = { key: o.key, aggregates: o.agg ?? 'count', value: o.value ?? defaultValueField(o), maxKeys: o.maxKeys, markPartial: o.markPartial, reuse }
  if (o.window !== undefined && /^[0-9]+$/.test(o.window)) {
    for (const [flag, v] of [['--slide', o.slide], ['--allowed-lateness', o.allowedLateness], ['--late', o.late], ['--late-output', o.lateOutput], ['--idle-timeout', o.idleTimeout]] as const) {
      if (v !== undefined) throw new ConfigError(`${flag} applies to windows by time, not to a count window (--window ${o.window})`)
    }
    return tumbling({ count: Number(o.window), ...common })
  }
  const late = o.late ?? (o.lateOutput !== undefined ? 'emit' : undefined)
  if (o.lateOutput !== undefined && late !== 'emit') throw new ConfigError('--late-output goes with --late emit')
  if (late === 'emit' && o.lateOutput === undefined) throw new ConfigError('--late emit needs --late-output FILE')
  const timed = {
    ...common,
    time: o.time ?? defaultTimeField(o),
    allowedLateness: o.allowedLateness,
    late,
    // (Validation alone, as definePipeline does, has no output to write to.)
    onLate: late === 'emit' ? onLate ?? (() => {}) : undefined,
    idleTimeout: o.idleTimeout
  }
  if (o.session !== undefined) return session({ gap: o.session, ...timed })
  if (o.slide !== undefined) return sliding({ size: o.window!, slide: o.slide, ...timed })
  return tumbling({ size: o.window, ...timed })
}

// With typed columns, the time field is the one `time` column, when there is exactly one.
function defaultTimeField (o: PipelineOptions): string {
  const cols = typedColumns(o)
  const times = cols.filter(c => c.type.startsWith('time'))
  if (times.length === 1) return times[0]!.name
  throw new ConfigError('a time window needs --time FIELD (the event-time field)')
}

// The one numeric column that is neither the time nor a key, when there is exactly one.
function defaultValueField (o: PipelineOptions): string | undefined {
  const keys = new Set((o.key ?? '').split(',').map(s => s.trim()))
  const time = (o.time ?? '').split(':')[0]
  const nums = typedColumns(o).filter(c => (c.type === 'float' || c.type === 'int') && !keys.has(c.name) && c.name !== time)
  return nums.length === 1 ? nums[0]!.name : undefined
}

function typedColumns (o: PipelineOptions): Array<{ name: string, type: string }> {
  if (o.columns === undefined) return []
  return o.columns.split(',').map(e => {
    const i = e.indexOf(':')
    return i < 0 ? { name: e.trim(), type: 'string' } : { name: e.slice(0, i).trim(), type: e.slice(i + 1).replace('?', '') }
  })
}

/**
 * Runs a pipeline to the end: opens the source, streams it through the stages, writes the output
 * and returns the counts. Aborting `context.signal` ends the source, flushes open windows and
 * returns normally. Errors (a source that cannot be opened, an output that cannot be written,
 * `onError: 'fail'`) reject with a typed error.
 *
 * @example
 * ```ts
 * const summary = await runPipeline({ file: 'fixtures/greenhouse.csv', columns: 'ts:time,sensor:string,value:float', where: 'value > 0' })
 * ```
 */
export async function runPipeline (options: PipelineOptions, context: RunContext = {}, definition?: PipelineDefinition): Promise<RunSummary> {
  // Rejected lines are written synchronously as they occur, so the dead-letter file holds
  // nothing in memory however many lines are rejected.
  const deadLetterPath = errorPolicy(options).deadLetter
  const dead = deadLetterPath === undefined ? undefined : deadLetter(deadLetterPath)
  const onRejected = dead?.handler
  // Late records too: one JSON line each, written as they occur.
  let lateFd: number | undefined
  if (options.lateOutput !== undefined) {
    try {
      lateFd = openSync(options.lateOutput, 'w')
    } catch (err) {
      dead?.close()
      throw new SinkError('ERR_SINK_OPEN', `cannot open ${options.lateOutput} for writing: ${(err as Error).message}`, { cause: err })
    }
  }
  const onLate = lateFd === undefined ? undefined : (r: SensorRecord): void => { writeSync(lateFd!, JSON.stringify(r) + '\n') }
  let result
  let eventsOutput: WriteStream | undefined
  let memory: MemoryRun | undefined
  try {
    const built = buildPipeline(options, { stages: definition?.stages, onRejected, onLate })
    // Memory options: their module is loaded only when one is given (docs/memory.md).
    if (wantsMemory(options)) memory = (await importModule<typeof import('./memory/run.js')>(new URL(MEMORY_MODULE, import.meta.url).href)).memoryRun(options, built)
    // --emit-events: connection events go to the output as JSON lines as they happen, between
    // whole batches of records.
    let events: Writable | undefined
    const onEvent = options.emitEvents === true ? (e: SerialEvent): void => { events?.write(JSON.stringify(e) + '\n') } : undefined
    // A followed file that is truncated or replaced is read again from its start; the line it
    // was cut in is dropped (counted), never glued to the first line of the new content.
    const file: FollowStats = { truncated: 0, rotated: 0, cutLines: 0 }
    let follow: WholeLinesSource | undefined
    const onTruncate = (info: { path: string, position: number, size: number }): void => {
      const dropped = follow?.cut() ?? 0
      if (info.size < 0) file.rotated++
      else file.truncated++
      if (dropped > 0) file.cutLines++
      context.onTruncate?.({ ...info, rotated: info.size < 0, dropped })
    }
    // A file read straight into the framer (not followed, so no wholeLines holding chunk tails;
    // no memory stages in between) has its chunk buffers filled again once the framer's batches
    // are released.
    const reuse = options.follow !== true && memory === undefined
    const selected = selectSource(options, { signal: context.signal, stdin: context.stdin, onEvent, onTruncate, reuse })
    const source = options.follow === true ? follow = wholeLines(selected.source, (options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES) + 2) : selected.source
    // With a parse worker the stages from the framer to the parser run there; their counters
    // are the worker's, copied into built.framer.stats and built.parser.stats as batches arrive.
    // The filter, having no state, runs there too: what it drops never crosses threads.
    const parsed = threadsFor(options) === 2 ? parseInWorker(options.file!, options, { onRejected, signal: context.signal, where: options.where, into: built }) : undefined
    let target: string | Writable = options.output === undefined || options.output === '-' ? context.stdout ?? process.stdout : options.output
    if (onEvent !== undefined) {
      // Events and records share one stream, so a file output is opened here instead of by writeTo.
      if (typeof target === 'string') target = eventsOutput = await openOutputStream(target)
      events = target
    }
    const stream = parsed !== undefined ? pipe(parsed, ...built.stages.slice(built.filter === undefined ? 2 : 3), built.formatter) : memory?.pipe(source) ?? pipe(source, ...built.stages, built.formatter)
    const written = await writeTo(target)(stream as AsyncIterable<string | Uint8Array>)
    result = { ...summarize(built, written.closed), ...selected.stats }
    if (dead !== undefined) result.deadLettered = dead.stats.written
    if (follow !== undefined) result.file = file
    if (memory !== undefined) {
      result.memory = await memory.finish()
      memory = undefined
      context.onMemoryReport?.(result.memory)
    }
  } catch (err) {
    if (memory !== undefined) context.onMemoryReport?.(await memory.finish(err))
    throw err
  } finally {
    dead?.close()
    if (lateFd !== undefined) closeSync(lateFd)
    if (eventsOutput !== undefined) await endStream(eventsOutput)
  }
  return result
}

// 1 or 2 threads for a run (see PipelineOptions.threads): 2 only where a parse worker fits.
function threadsFor (o: PipelineOptions): 1 | 2 {
  if (o.threads !== 2) return 1
  if (o.file === undefined || o.file === '-' || o.follow === true || wantsMemory(o)) {
    throw new ConfigError('--threads 2 parses a file on a second thread: it needs --file PATH, without --follow or a memory option')
  }
  return 2
}

// Not a literal, so that the CLI bundle leaves the memory code out (it costs start-up time to
// every run) and loads it from dist/memory/ beside dist/cli.js when a memory option is given.
const MEMORY_MODULE = './memory/run.js'

function wantsMemory (o: PipelineOptions): boolean {
  return o.heapCheck === true || o.maxHeap !== undefined || o.heapSnapshot !== undefined || o.profile !== undefined || o.lastReadings !== undefined ||
    o.heapCheckEvery !== undefined || o.heapSnapshotEvery !== undefined
}

/** The counts of a built pipeline so far (also usable while it runs). */
export function summarize (built: BuiltPipeline, outputClosed = false): RunSummary {
  const reasons: Record<string, number> = { ...built.parser.stats.reasons }
  if (built.framer.stats.tooLong > 0) reasons['too-long'] = built.framer.stats.tooLong
  return {
    lines: built.framer.stats.lines,
    malformed: built.framer.stats.tooLong + built.parser.stats.malformed,
    filtered: built.filter?.stats.dropped ?? 0,
    emitted: built.formatter.stats.records,
    reasons,
    noTime: built.window?.stats.noTime ?? 0,
    ...(built.window === undefined ? {} : { window: { ...built.window.stats } }),
    ...multilineOf(built),
    outputClosed
  }
}

function multilineOf (built: BuiltPipeline): { multiline?: MultilineStats } {
  const m = (built.parser as { multiline?: MultilineStats }).multiline
  return m === undefined || m.lines === 0 ? {} : { multiline: { ...m } }
}

/** `summary lines=N malformed=M filtered=F emitted=E`, the line `--summary` prints. */
export function formatSummary (s: RunSummary): string {
  return `summary lines=${s.lines} malformed=${s.malformed} filtered=${s.filtered} emitted=${s.emitted}`
}
