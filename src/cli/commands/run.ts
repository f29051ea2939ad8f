import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs'
import { formatSummary, type PipelineDefinition, type PipelineOptions, runPipeline, type TruncateEvent } from '../../pipeline.js'
import { formatSerialStats } from '../../sources/serial.js'
import { EXIT, reportError } from '../errors.js'
import { loadPipeline } from '../load-pipeline.js'
import { REPLAY_FLAGS, replayFlags, type ReplayArgs, SERIAL_FLAGS, type SerialArgs, serialFlags } from '../serial-flags.js'
import { MEMORY_FLAGS, memoryFlags, type MemoryArgs, printMemoryReport } from '../memory-flags.js'
import { interruptible, pick } from '../shared.js'
import type { MemoryReport } from '../../memory/run.js'

interface RunArgs extends SerialArgs, ReplayArgs, MemoryArgs {
  replay?: string
  emitEvents?: boolean
  pipeline?: string
  file?: string
  follow?: boolean
  format?: 'csv' | 'json' | 'kv'
  columns?: string
  header?: boolean
  delimiter?: string
  quotedNewlines?: boolean
  maxLineBytes?: number
  threads?: number
  onError?: string
  errors?: string
  where?: string
  window?: string
  time?: string
  key?: string
  agg?: string
  value?: string
  maxKeys?: number
  slide?: string
  session?: string
  allowedLateness?: string
  late?: 'drop' | 'emit' | 'update'
  lateOutput?: string
  idleTimeout?: string
  markPartial?: boolean
  output?: string
  outputFormat?: 'jsonl' | 'csv'
  summary?: boolean
}

// Flags that map one to one onto PipelineOptions (and so onto library stages).
const OPTION_FLAGS = ['file', 'follow', 'threads', 'format', 'columns', 'header', 'delimiter', 'quotedNewlines', 'maxLineBytes', 'onError', 'errors',
  'where', 'window', 'time', 'key', 'agg', 'value', 'maxKeys', 'output', 'outputFormat',
  'slide', 'session', 'allowedLateness', 'late', 'lateOutput', 'idleTimeout', 'markPartial'] as const
// The serial and replay sources' flags (docs/serial.md).
const SOURCE_FLAGS = ['replay', 'emitEvents', ...SERIAL_FLAGS, ...REPLAY_FLAGS] as const

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [pipeline]',
  describe: 'Stream a file, stdin or a pipeline definition through parse, filter and window stages',
  builder: (y: Argv) => memoryFlags(replayFlags(serialFlags(y
    .positional('pipeline', { type: 'string', describe: 'A pipeline definition (pipelines/NAME.ts); flags override its options' })
    .option('file', { type: 'string', describe: 'Read this file (- for stdin; default stdin)', group: 'Source:' })
    .option('follow', { type: 'boolean', describe: 'Keep reading data appended to --file, like tail -f', group: 'Source:' })
    .option('replay', { type: 'string', describe: 'Read a recording made by sensorpipe record, at its pace (see Replay:)', group: 'Source:' })
    .option('max-line-bytes', { type: 'number', describe: 'Longest line kept; longer lines are dropped and counted [default: 65536]', group: 'Source:' })
    .option('threads', { type: 'number', describe: 'Threads: 1, or 2 to read and parse --file on a second thread (faster on big files, more memory) [default: 1]', group: 'Source:' })
    .option('format', { choices: ['csv', 'json', 'kv'] as const, describe: 'Input format [default: csv with --columns/--header, else json]', group: 'Parse:' })
    .option('columns', { type: 'string', describe: 'Typed columns: name:type,... (int, float, string, bool, time, time:s; ? = optional)', group: 'Parse:' })
    .option('header', { type: 'boolean', describe: 'CSV: the first line names the columns', group: 'Parse:' })
    .option('delimiter', { type: 'string', describe: 'CSV field delimiter [default: ,]', group: 'Parse:' })
    .option('quoted-newlines', { type: 'boolean', describe: 'CSV: a quoted field may hold line breaks (RFC 4180), so a record may span lines', group: 'Parse:' })
    .option('on-error', { type: 'string', describe: 'A line that does not frame or parse: skip (count it), fail (stop, naming its line), or dead-letter:FILE (count it and write it, with line number, reason and raw bytes, as a JSON line to FILE) [default: skip]', group: 'Parse:' })
    .option('errors', { type: 'string', describe: 'Same as --on-error dead-letter:FILE; with --on-error fail, the line that stops the run is written too', group: 'Parse:' })
    .option('where', { type: 'string', describe: "Keep records matching an expression, e.g. 'value >= -40 && value <= 125'", group: 'Filter:' })
    .option('window', { type: 'string', describe: 'Tumbling window: a duration (1s, 5m) by event time, or a record count (100)', group: 'Window:' })
    .option('time', { type: 'string', describe: 'Event-time field, FIELD or FIELD:s, or arrival (the clock) [default: the one time column]', group: 'Window:' })
    .option('key', { type: 'string', describe: 'Key field(s), comma-separated: one window per distinct key', group: 'Window:' })
    .option('agg', { type: 'string', describe: 'Aggregates: count,sum,mean,min,max,first,last,stddev,variance,rate,delta,p50,p99..., or fn:field [default: count]', group: 'Window:' })
    .option('value', { type: 'string', describe: 'Field that plain aggregates read [default: the one numeric column]', group: 'Window:' })
    .option('max-keys', { type: 'number', describe: 'Most keys open in a window; past it windows flush early [default: 100000]', group: 'Window:' })
    .option('slide', { type: 'string', describe: 'With --window DURATION: start a window every DURATION (sliding windows)', group: 'Window:' })
    .option('session', { type: 'string', describe: 'Session windows instead of --window: a session ends after this gap (30s)', group: 'Window:' })
    .option('allowed-lateness', { type: 'string', describe: 'How far event time may run back before a record is late [default: 0]', group: 'Window:' })
    .option('late', { choices: ['drop', 'emit', 'update'] as const, describe: 'Late records: count and drop, write to --late-output, or re-emit the corrected window [default: drop]', group: 'Window:' })
    .option('late-output', { type: 'string', describe: 'Write late records as JSON lines to this file (implies --late emit)', group: 'Window:' })
    .option('idle-timeout', { type: 'string', describe: 'When nothing arrives for this long, windows close by the wall clock', group: 'Window:' })
    .option('mark-partial', { type: 'boolean', describe: 'Add partial: true|false to each window (true: flushed before it closed)', group: 'Window:' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of stdout', group: 'Output:' })
    .option('output-format', { choices: ['jsonl', 'csv'] as const, describe: 'Output format [default: jsonl]', group: 'Output:' })
    .option('summary', { type: 'boolean', describe: 'Print "summary lines=N malformed=M filtered=F emitted=E" to stderr at the end', group: 'Output:' })
    .option('emit-events', { type: 'boolean', describe: 'With --port or --replay: also write connection events, {"event":"disconnected",...}', group: 'Output:' })
    .example('$0 run pipelines/greenhouse.ts --summary', 'Run a pipeline definition on its bundled fixture')
    .example("$0 run --file data.csv --columns ts:time,sensor:string,value:float --where 'value > 0' --key sensor --time ts --window 1s --agg count,mean,min,max", 'Per-sensor 1 s windows of a CSV file')
    .example('tail -f log.jsonl | $0 run --format json --where \'temp > 30\'', 'Filter JSON lines from stdin')
    .example('$0 run --file - --format kv --window 10 --agg mean:temp --output-format csv < serial.log', 'Means of every 10 key=value readings, as CSV')
    .example('$0 run --file data.csv --columns ts:time,sensor:string,value:float --key sensor --window 10s --slide 2s --allowed-lateness 5s --late update', 'Sliding 10 s windows every 2 s, correcting windows for readings up to 5 s late')
    .example('$0 run --file data.csv --columns ts:time,sensor:string,value:float --key sensor --window 1s --heap-check --max-heap 32', 'Print a per-stage heap table; stop (exit 3) if the heap after GC passes 32 MB')
    .example('$0 run --port /dev/ttyUSB0 --baud 115200 --format kv --summary', 'Read a serial sensor, reconnecting when it is unplugged')))),
  handler: async (argv: ArgumentsCamelCase<RunArgs>) => {
    process.exitCode = await run(argv)
  }
}

async function run (argv: ArgumentsCamelCase<RunArgs>): Promise<number> {
  return await interruptible(async signal => await runWith(argv, signal))
}

async function runWith (argv: ArgumentsCamelCase<RunArgs>, signal: AbortSignal): Promise<number> {
  let memoryReport: MemoryReport | undefined
  try {
    let definition: PipelineDefinition | undefined
    if (argv.pipeline !== undefined) definition = await loadPipeline(argv.pipeline)
    const options = pick<PipelineOptions>(argv, [...OPTION_FLAGS, ...SOURCE_FLAGS, ...MEMORY_FLAGS], { ...definition?.options })
    if (options.follow === true && (options.file === undefined || options.file === '-')) {
      process.stderr.write('sensorpipe: --follow needs --file PATH\n')
      return EXIT.usage
    }
    if (definition?.main !== undefined) {
      // A pipeline that is a script (pipelines/weak-store.ts): it runs itself.
      await definition.main({ options, signal, stdout: process.stdout, stderr: process.stderr })
      return EXIT.ok
    }
    const summary = await runPipeline(options, { signal, onTruncate: reportTruncation, onMemoryReport: r => { memoryReport = r } }, definition)
    if (argv.summary === true) {
      process.stderr.write(formatSummary(summary) + '\n')
      const reasons = Object.entries(summary.reasons).map(([k, v]) => `${k}=${v}`).join(' ')
      if (reasons !== '') process.stderr.write(`malformed by reason: ${reasons}\n`)
      if (summary.noTime > 0) process.stderr.write(`records without a valid time (dropped by the window): ${summary.noTime}\n`)
      const w = summary.window
      if (w !== undefined && w.late + w.earlyFlushes + w.updates > 0) {
        process.stderr.write(`window late=${w.late} late-dropped=${w.lateDropped} updates=${w.updates} early-flushes=${w.earlyFlushes} partial=${w.partial}\n`)
      }
      if (summary.serial !== undefined) process.stderr.write(formatSerialStats(summary.serial) + '\n')
      if (summary.replay !== undefined && summary.replay.skipped > 0) process.stderr.write(`replay: invalid recording entries skipped: ${summary.replay.skipped}\n`)
      if (summary.multiline !== undefined) process.stderr.write(`csv multiline-records=${summary.multiline.records} continuation-lines=${summary.multiline.lines}\n`)
      if (summary.deadLettered !== undefined) process.stderr.write(`dead-letter written=${summary.deadLettered}\n`)
      const f = summary.file
      if (f !== undefined && f.truncated + f.rotated > 0) process.stderr.write(`file truncated=${f.truncated} rotated=${f.rotated} dropped-cut=${f.cutLines}\n`)
    }
    if (memoryReport !== undefined) await printMemoryReport(memoryReport)
    return EXIT.ok
  } catch (err) {
    if (memoryReport !== undefined) await printMemoryReport(memoryReport)
    return reportError(err)
  }
}

// A followed file was truncated or replaced: one line on stderr as it happens (the counts are
// in the --summary lines).
function reportTruncation (e: TruncateEvent): void {
  const what = e.rotated
    ? `${e.path} was replaced (rotated): reading the new file from its start`
    : `${e.path} was truncated (from ${e.position} to ${e.size} bytes): reading it again from its start`
  process.stderr.write(`sensorpipe: ${what}${e.dropped > 0 ? `; the unfinished line it cut (${e.dropped} bytes) was dropped` : ''}\n`)
}
