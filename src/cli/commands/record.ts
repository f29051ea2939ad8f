import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs'
import { lines } from '../../framing/lines.js'
import { pipe } from '../../pipe.js'
import type { PipelineOptions } from '../../pipeline.js'
import { recordTo } from '../../sources/record.js'
import { selectSource } from '../../sources/select.js'
import { EXIT, reportError } from '../errors.js'
import { SERIAL_FLAGS, type SerialArgs, serialFlags } from '../serial-flags.js'
import { interruptible, pick } from '../shared.js'

interface RecordArgs extends SerialArgs {
  out: string
  file?: string
  follow?: boolean
  maxLineBytes?: number
}

/** `sensorpipe record`: a port, file or stdin to a recording (docs/serial.md), until the end or Ctrl-C. */
export const recordCommand: CommandModule<object, RecordArgs> = {
  command: 'record',
  describe: 'Record raw lines with their receive times (and disconnects) to a fixture for replay',
  builder: (y: Argv) => serialFlags(y
    .option('out', { type: 'string', demandOption: true, describe: 'Write the recording here (format: docs/serial.md)', group: 'Recording:' })
    .option('file', { type: 'string', describe: 'Record this file instead of a port (- for stdin; default stdin)', group: 'Source:' })
    .option('follow', { type: 'boolean', describe: 'Keep reading data appended to --file, like tail -f', group: 'Source:' })
    .option('max-line-bytes', { type: 'number', describe: 'Longest line kept; longer lines are dropped and counted [default: 65536]', group: 'Source:' })
    .example('$0 record --port /dev/ttyUSB0 --baud 115200 --out session.jsonl', 'Record a device until Ctrl-C')
    .example('$0 replay session.jsonl --speed 10', 'Play it back ten times faster')) as Argv<RecordArgs>,
  handler: async (argv: ArgumentsCamelCase<RecordArgs>) => {
    process.exitCode = await interruptible(async signal => await record(argv, signal))
  }
}

async function record (argv: ArgumentsCamelCase<RecordArgs>, signal: AbortSignal): Promise<number> {
  try {
    const options = pick<PipelineOptions>(argv, ['file', 'follow', 'maxLineBytes', ...SERIAL_FLAGS], {})
    const source = options.port ?? (options.file === undefined || options.file === '-' ? 'stdin' : options.file)
    const recorder = recordTo(argv.out, { source, baudRate: options.port === undefined ? undefined : options.baud ?? 9600 })
    const framer = lines({ maxLineBytes: options.maxLineBytes })
    const selected = selectSource(options, { signal, onEvent: recorder.event })
    const stats = await recorder(pipe(selected.source, framer))
    const serial = selected.stats.serial
    const extra = [
      framer.stats.tooLong > 0 ? `${framer.stats.tooLong} too long (dropped)` : '',
      serial !== undefined ? `${serial.disconnects} ${serial.disconnects === 1 ? 'disconnect' : 'disconnects'}` : ''
    ].filter(s => s !== '')
    process.stderr.write(`recorded ${stats.lines} ${stats.lines === 1 ? 'line' : 'lines'}${extra.length > 0 ? ` (${extra.join(', ')})` : ''} to ${argv.out}\n`)
    return EXIT.ok
  } catch (err) {
    return reportError(err)
  }
}
