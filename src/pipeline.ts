import { closeSync, openSync, writeSync, type WriteStream } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { ConfigError, RejectedInputError, SinkError } from './errors.js'
import { where } from './filter/filter.js'
import { lines } from './framing/lines.js'
import { parseCsv } from './parse/csv.js'
import { parseJson } from './parse/json.js'
import { parseKeyValue } from './parse/key-value.js'
import type { ParseStats } from './parse/reject.js'
import type { LineBatch } from './batch/line-batch.js'
import type { RecordBatch } from './batch/record-batch.js'
import { pipe } from './pipe.js'
import { type FormatStage, toCsv, toJsonLines } from './sinks/format.js'
import { writeTo } from './sinks/write.js'
import type { ReplayStats } from './sources/replay.js'
import { endStream, openOutputStream, selectSource } from './sources/select.js'
import type { SerialEvent, SerialStats } from './sources/serial.js'
import type { Rejection, SensorRecord, Stage } from './types.js'
import { tumbling } from './window/tumbling.js'

/**
 * Everything a run is made of, one option per CLI flag (`--max-line-bytes` is `maxLineBytes`).
 * Each option maps onto one library stage; {@link buildPipeline} shows which.
 */
export interface PipelineOptions {
  /** Source: a file path, or `-` / undefined for standard input. (`--file`) */
  file?: string
  /** Keep reading appended data (`tail -f`). (`--follow`) */
  follow?: boolean
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
  /** A line that does not parse: `skip` (count it) or `fail` (stop with its line number). (`--on-error`) */
  onError?: 'skip' | 'fail'
  /** Also write each rejected line, as a JSON line, to this file. (`--errors`) */
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
  dataBits?: 5 | 6 | 7 | 8
  /** Parity. Default none. (`--parity`) */
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space'
  /** Stop bits. Default 1. (`--stop-bits`) */
  stopBits?: 1 | 1.5 | 2
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
  /** True when the output's reader went away before the end (EPIPE). */
  outputClosed: boolean
  /** With `port`: disconnects, reconnects and dropped lines ({@link formatSerialStats}). */
  serial?: SerialStats
  /** With `replay`: lines and events played, entries skipped. */
  replay?: ReplayStats
}

/** The streams and signal a run uses; the CLI passes the process's, tests their own. */
export interface RunContext {
  signal?: AbortSignal
  stdin?: Readable
  stdout?: Writable
}

/** A named, runnable pipeline: what a file in `pipelines/` exports by default. */
export interface PipelineDefinition {
  /** One line shown by `sensorpipe run --help`-style listings. */
  description?: string
  /** The run's options; flags given on the command line override them. */
  options: PipelineOptions
  /** Extra stages placed after the window and before the output. */
  stages?: () => Array<Stage<RecordBatch, RecordBatch | SensorRecord[]>>
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
  buildPipeline(definition.options, { stages: definition.stages })
  return definition
}

/** A built, not yet started pipeline: its record stages in order and their live stats. */
export interface BuiltPipeline {
  framer: ReturnType<typeof lines>
  parser: Stage<LineBatch | string[], RecordBatch> & { readonly stats: ParseStats }
  filter: ReturnType<typeof where> | undefined
  window: ReturnType<typeof tumbling> | undefined
  /** Every stage from bytes to records: framer, parser, filter, window, extra stages. */
  stages: Array<Stage<any, any>>
  formatter: FormatStage
}

/**
 * Turns options into stages: `lines` → `parseCsv` / `parseJson` / `parseKeyValue` → `where`
 * → `tumbling` → extra stages → `toJsonLines` / `toCsv`. Every option is validated here,
 * before anything is read; a bad one throws a TypeError or ConfigError that names it.
 */
export function buildPipeline (options: PipelineOptions, extra: { stages?: PipelineDefinition['stages'], onRejected?: (r: Rejection) => void } = {}): BuiltPipeline {
  const o = options
  const format = o.format ?? (o.columns !== undefined || o.header === true ? 'csv' : 'json')
  if (!['csv', 'json', 'kv'].includes(format)) throw new ConfigError(`unknown format "${format}" (use csv, json or kv)`)
  if (o.onError !== undefined && o.onError !== 'skip' && o.onError !== 'fail') throw new ConfigError(`"onError" must be skip or fail, got ${JSON.stringify(o.onError)}`)
  const onError = o.onError === 'fail' ? 'fail' : extra.onRejected ?? 'skip'
  const framer = lines({ maxLineBytes: o.maxLineBytes, onError: o.onError === 'fail' ? failOnTooLong : extra.onRejected })
  let parser: BuiltPipeline['parser']
  if (format === 'csv') {
    if (o.columns === undefined && o.header !== true) throw new ConfigError('csv input needs --columns (name:type,...) or --header')
    parser = parseCsv({ columns: o.columns, header: o.header === true, delimiter: o.delimiter, onError })
  } else if (format === 'kv') {
    parser = parseKeyValue({ columns: o.columns, onError })
  } else {
    if (o.columns !== undefined) throw new ConfigError('--columns applies to csv and kv input, not json')
    parser = parseJson({ onError })
  }
  const stages: Array<Stage<any, any>> = [framer, parser]
  const filterStage = o.where === undefined ? undefined : where(o.where)
  if (filterStage !== undefined) stages.push(filterStage)
  let windowStage: BuiltPipeline['window']
  if (o.window !== undefined) {
    const isCount = /^[0-9]+$/.test(o.window)
    windowStage = tumbling({
      size: isCount ? undefined : o.window,
      count: isCount ? Number(o.window) : undefined,
      time: isCount ? undefined : o.time ?? defaultTimeField(o),
      key: o.key,
      aggregates: o.agg ?? 'count',
      value: o.value ?? defaultValueField(o),
      maxKeys: o.maxKeys
    })
    stages.push(windowStage)
  } else {
    for (const [flag, v] of [['--time', o.time], ['--key', o.key], ['--agg', o.agg], ['--max-keys', o.maxKeys]] as const) {
      if (v !== undefined) throw new ConfigError(`${flag} needs --window`)
    }
  }
  for (const s of extra.stages?.() ?? []) {
    if (typeof s !== 'function') throw new ConfigError('a pipeline\'s "stages" must return functions')
    stages.push(s)
  }
  const outputFormat = o.outputFormat ?? 'jsonl'
  if (outputFormat !== 'jsonl' && outputFormat !== 'csv') throw new ConfigError(`unknown output format "${String(outputFormat)}" (use jsonl or csv)`)
  const formatter = outputFormat === 'csv' ? toCsv() : toJsonLines()
  return { framer, parser, filter: filterStage, window: windowStage, stages, formatter }
}

function failOnTooLong (r: Rejection): void {
  throw new RejectedInputError(`line ${r.line}: ${r.detail}`, r.line, r.reason)
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
  // Rejected lines are written synchronously as they occur, so the error output holds nothing
  // in memory however many lines are rejected.
  let errorsFd: number | undefined
  if (options.errors !== undefined) {
    try {
      errorsFd = openSync(options.errors, 'w')
    } catch (err) {
      throw new SinkError('ERR_SINK_OPEN', `cannot open ${options.errors} for writing: ${(err as Error).message}`, { cause: err })
    }
  }
  const onRejected = errorsFd === undefined
    ? undefined
    : (r: Rejection): void => { writeSync(errorsFd!, JSON.stringify(r) + '\n') }
  let result
  let eventsOutput: WriteStream | undefined
  try {
    const built = buildPipeline(options, { stages: definition?.stages, onRejected })
    // --emit-events: connection events go to the output as JSON lines as they happen, between
    // whole batches of records.
    let events: Writable | undefined
    const onEvent = options.emitEvents === true ? (e: SerialEvent): void => { events?.write(JSON.stringify(e) + '\n') } : undefined
    const selected = selectSource(options, { signal: context.signal, stdin: context.stdin, onEvent })
    let target: string | Writable = options.output === undefined || options.output === '-' ? context.stdout ?? process.stdout : options.output
    if (onEvent !== undefined) {
      // Events and records share one stream, so a file output is opened here instead of by writeTo.
      if (typeof target === 'string') target = eventsOutput = await openOutputStream(target)
      events = target
    }
    const written = await writeTo(target)(pipe(selected.source, ...built.stages, built.formatter) as AsyncIterable<string | Uint8Array>)
    result = { ...summarize(built, written.closed), ...selected.stats }
  } finally {
    if (errorsFd !== undefined) closeSync(errorsFd)
    if (eventsOutput !== undefined) await endStream(eventsOutput)
  }
  return result
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
    outputClosed
  }
}

/** `summary lines=N malformed=M filtered=F emitted=E`, the line `--summary` prints. */
export function formatSummary (s: RunSummary): string {
  return `summary lines=${s.lines} malformed=${s.malformed} filtered=${s.filtered} emitted=${s.emitted}`
}
