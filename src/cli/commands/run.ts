import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs'
import { formatSummary, type PipelineDefinition, type PipelineOptions, runPipeline } from '../../pipeline.js'
import { formatSerialStats } from '../../sources/serial.js'
import { EXIT, reportError } from '../errors.js'
import { loadPipeline } from '../load-pipeline.js'
import { REPLAY_FLAGS, replayFlags, type ReplayArgs, SERIAL_FLAGS, type SerialArgs, serialFlags } from '../serial-flags.js'

interface RunArgs extends SerialArgs, ReplayArgs {
  replay?: string
  emitEvents?: boolean
  pipeline?: string
  file?: string
  follow?: boolean
  format?: 'csv' | 'json' | 'kv'
  columns?: string
  header?: boolean
  delimiter?: string
  maxLineBytes?: number
  onError?: 'skip' | 'fail'
  errors?: string
  where?: string
  window?: string
  time?: string
  key?: string
  agg?: string
  value?: string
  maxKeys?: number
  output?: string
  outputFormat?: 'jsonl' | 'csv'
  summary?: boolean
}

// Flags that map one to one onto PipelineOptions (and so onto library stages).
const OPTION_FLAGS = ['file', 'follow', 'format', 'columns', 'header', 'delimiter', 'maxLineBytes', 'onError', 'errors',
  'where', 'window', 'time', 'key', 'agg', 'value', 'maxKeys', 'output', 'outputFormat'] as const
// The serial and replay sources' flags (docs/serial.md).
const SOURCE_FLAGS = ['replay', 'emitEvents', ...SERIAL_FLAGS, ...REPLAY_FLAGS] as const

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [pipeline]',
  describe: 'Stream a file, stdin or a pipeline definition through parse, filter and window stages',
  builder: (y: Argv) => replayFlags(serialFlags(y
    .positional('pipeline', { type: 'string', describe: 'A pipeline definition (pipelines/NAME.ts); flags override its options' })
    .option('file', { type: 'string', describe: 'Read this file (- for stdin; default stdin)', group: 'Source:' })
    .option('follow', { type: 'boolean', describe: 'Keep reading data appended to --file, like tail -f', group: 'Source:' })
    .option('replay', { type: 'string', describe: 'Read a recording made by sensorpipe record, at its pace (see Replay:)', group: 'Source:' })
    .option('max-line-bytes', { type: 'number', describe: 'Longest line kept; longer lines are dropped and counted [default: 65536]', group: 'Source:' })
    .option('format', { choices: ['csv', 'json', 'kv'] as const, describe: 'Input format [default: csv with --columns/--header, else json]', group: 'Parse:' })
    .option('columns', { type: 'string', describe: 'Typed columns: name:type,... (int, float, string, bool, time, time:s; ? = optional)', group: 'Parse:' })
    .option('header', { type: 'boolean', describe: 'CSV: the first line names the columns', group: 'Parse:' })
    .option('delimiter', { type: 'string', describe: 'CSV field delimiter [default: ,]', group: 'Parse:' })
    .option('on-error', { choices: ['skip', 'fail'] as const, describe: 'A line that does not parse: count and skip it, or stop [default: skip]', group: 'Parse:' })
    .option('errors', { type: 'string', describe: 'Write every rejected line, with reason and line number, as JSON lines to this file', group: 'Parse:' })
    .option('where', { type: 'string', describe: "Keep records matching an expression, e.g. 'value >= -40 && value <= 125'", group: 'Filter:' })
    .option('window', { type: 'string', describe: 'Tumbling window: a duration (1s, 5m) by event time, or a record count (100)', group: 'Window:' })
    .option('time', { type: 'string', describe: 'Event-time field, FIELD or FIELD:s [default: the one time column]', group: 'Window:' })
    .option('key', { type: 'string', describe: 'Key field(s), comma-separated: one window per distinct key', group: 'Window:' })
    .option('agg', { type: 'string', describe: 'Aggregates: count,sum,mean,min,max,first,last, or fn:field [default: count]', group: 'Window:' })
    .option('value', { type: 'string', describe: 'Field that plain aggregates read [default: the one numeric column]', group: 'Window:' })
    .option('max-keys', { type: 'number', describe: 'Most keys open in a window; past it windows flush early [default: 100000]', group: 'Window:' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of stdout', group: 'Output:' })
    .option('output-format', { choices: ['jsonl', 'csv'] as const, describe: 'Output format [default: jsonl]', group: 'Output:' })
    .option('summary', { type: 'boolean', describe: 'Print "summary lines=N malformed=M filtered=F emitted=E" to stderr at the end', group: 'Output:' })
    .option('emit-events', { type: 'boolean', describe: 'With --port or --replay: also write connection events, {"event":"disconnected",...}', group: 'Output:' })
    .example('$0 run pipelines/greenhouse.ts --summary', 'Run a pipeline definition on its bundled fixture')
    .example("$0 run --file data.csv --columns ts:time,sensor:string,value:float --where 'value > 0' --key sensor --time ts --window 1s --agg count,mean,min,max", 'Per-sensor 1 s windows of a CSV file')
    .example('tail -f log.jsonl | $0 run --format json --where \'temp > 30\'', 'Filter JSON lines from stdin')
    .example('$0 run --file - --format kv --window 10 --agg mean:temp --output-format csv < serial.log', 'Means of every 10 key=value readings, as CSV')
    .example('$0 run --port /dev/ttyUSB0 --baud 115200 --format kv --summary', 'Read a serial sensor, reconnecting when it is unplugged'))),
  handler: async (argv: ArgumentsCamelCase<RunArgs>) => {
    process.exitCode = await run(argv)
  }
}

async function run (argv: ArgumentsCamelCase<RunArgs>): Promise<number> {
  const controller = new AbortController()
  let status: number = EXIT.ok
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm) // a second Ctrl-C: stop now
    status = sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    let definition: PipelineDefinition | undefined
    if (argv.pipeline !== undefined) definition = await loadPipeline(argv.pipeline)
    const options: PipelineOptions = { ...definition?.options }
    for (const flag of [...OPTION_FLAGS, ...SOURCE_FLAGS]) {
      const v = argv[flag]
      if (v !== undefined) (options as Record<string, unknown>)[flag] = v
    }
    if (options.follow === true && (options.file === undefined || options.file === '-')) {
      process.stderr.write('sensorpipe: --follow needs --file PATH\n')
      return EXIT.usage
    }
    const summary = await runPipeline(options, { signal: controller.signal }, definition)
    if (argv.summary === true) {
      process.stderr.write(formatSummary(summary) + '\n')
      const reasons = Object.entries(summary.reasons).map(([k, v]) => `${k}=${v}`).join(' ')
      if (reasons !== '') process.stderr.write(`malformed by reason: ${reasons}\n`)
      if (summary.noTime > 0) process.stderr.write(`records without a valid time (dropped by the window): ${summary.noTime}\n`)
      if (summary.serial !== undefined) process.stderr.write(formatSerialStats(summary.serial) + '\n')
      if (summary.replay !== undefined && summary.replay.skipped > 0) process.stderr.write(`replay: invalid recording entries skipped: ${summary.replay.skipped}\n`)
    }
    return status
  } catch (err) {
    return reportError(err)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
