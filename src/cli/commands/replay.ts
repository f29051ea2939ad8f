import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs'
import type { PipelineOptions } from '../../pipeline.js'
import { selectSource } from '../../sources/select.js'
import { writeTo } from '../../sinks/write.js'
import { EXIT, reportError } from '../errors.js'
import { REPLAY_FLAGS, type ReplayArgs, replayFlags } from '../serial-flags.js'
import { interruptible, pick } from '../shared.js'

interface ReplayCommandArgs extends ReplayArgs {
  recording: string
  output?: string
}

/** `sensorpipe replay FILE`: a recording's lines to stdout (or `--output`) at their recorded pace. */
export const replayCommand: CommandModule<object, ReplayCommandArgs> = {
  command: 'replay <recording>',
  describe: 'Write the lines of a recording at their recorded pace (as the device sent them)',
  builder: (y: Argv) => replayFlags(y
    .positional('recording', { type: 'string', describe: 'A recording made by sensorpipe record' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of stdout' })
    .example('$0 replay session.jsonl --speed 10 --max-gap 2s', 'Ten times faster, no silence longer than 0.2 s')
    .example('$0 run --replay session.jsonl --max-speed --format kv --window 1s --time ts', 'Any pipeline on a recording')) as Argv<ReplayCommandArgs>,
  handler: async (argv: ArgumentsCamelCase<ReplayCommandArgs>) => {
    process.exitCode = await interruptible(async signal => await replay(argv, signal))
  }
}

async function replay (argv: ArgumentsCamelCase<ReplayCommandArgs>, signal: AbortSignal): Promise<number> {
  try {
    const options = pick<PipelineOptions>(argv, REPLAY_FLAGS, { replay: argv.recording })
    const { source, stats } = selectSource(options, { signal })
    const target = argv.output === undefined || argv.output === '-' ? process.stdout : argv.output
    await writeTo(target)(source)
    if (stats.replay !== undefined && stats.replay.skipped > 0) process.stderr.write(`replay: invalid recording entries skipped: ${stats.replay.skipped}\n`)
    return EXIT.ok
  } catch (err) {
    return reportError(err)
  }
}
