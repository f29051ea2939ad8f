import './young-generation.js'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { listCommand } from './commands/list.js'
import { recordCommand } from './commands/record.js'
import { replayCommand } from './commands/replay.js'
import { runCommand } from './commands/run.js'
import { EXIT } from './errors.js'

declare const SENSORPIPE_VERSION: string | undefined

/** A usage mistake found by yargs (unknown flag, bad choice): reported in one line, exit 2. */
class UsageError extends Error {}

// Commands, registered from one explicit list.
const commands = [runCommand, listCommand, recordCommand, replayCommand]

// yargs reads a lone `-` after a flag as an empty value plus a positional; `--file -` means
// stdin (and `--output -` stdout) as in most CLIs, so it is joined to `--file=-` first.
function joinDashValues (args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a.startsWith('--') && !a.includes('=') && args[i + 1] === '-') { out.push(`${a}=-`); i++ } else out.push(a)
  }
  return out
}

// yargs lists an unknown `--no-such-flag` also as `noSuchFlag`; name it once, as typed.
function dedupeUnknown (msg: string): string {
  const m = /^(Unknown arguments?): (.*)$/.exec(msg)
  if (m === null) return msg
  const names = m[2]!.split(', ')
  const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
  const kept = names.filter(n => !names.some(o => o !== n && o.includes('-') && camel(o) === n))
  return `${kept.length === 1 ? 'Unknown argument' : 'Unknown arguments'}: ${kept.join(', ')}`
}

const cli = yargs(joinDashValues(hideBin(process.argv)))
  .scriptName('sensorpipe')
  .usage('$0 <command> [options]\n\nStream sensor data from serial devices and files through lazy, bounded-memory parse, filter and window stages.')
  .version(typeof SENSORPIPE_VERSION === 'string' ? SENSORPIPE_VERSION : '0.0.0-dev')
  // Every boolean flag defaults to off, so `--no-x` negation is not needed; without it an unknown
  // `--no-such-flag` is reported as typed.
  .parserConfiguration({ 'boolean-negation': false })
  .strict()
  .demandCommand(1, 'Give a command, e.g. sensorpipe run --help')
  .recommendCommands()
  .example('$0 run pipelines/greenhouse.ts --summary', 'Run a pipeline definition on its bundled fixture')
  .example("$0 run --file data.csv --columns ts:time,sensor:string,value:float --key sensor --window 1s --agg count,mean,min,max", 'Per-sensor 1 s windows of a CSV file')
  .example("$0 run --format json --where 'temp > 30' < readings.jsonl", 'Filter JSON lines from stdin')
  .wrap(Math.min(110, process.stdout.columns ?? 100))
  .epilogue('Docs: README.md and docs/ in the package.')
  .fail((msg, err) => {
    // Throwing here stops yargs before any handler runs.
    throw err ?? new UsageError(dedupeUnknown(msg))
  })
for (const c of commands) cli.command(c as never)

// After starting a command, yargs renders the whole help text (about 15 ms) so it can show it if
// the command fails later. sensorpipe's handlers report their own errors in one line and never
// show help for them, so that rendering is skipped. (An internal of yargs: if it goes away, the
// optional chaining leaves yargs as it is.)
const usage = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
  .getInternalMethods?.().getUsageInstance?.()
if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {}
// (An async function, not a top-level await: the CLI is bundled as CommonJS, see code-cache.ts.
// An error other than a usage mistake is rethrown, and ends the process as an uncaught one would.)
async function main (): Promise<void> {
  try {
    await cli.parseAsync()
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`sensorpipe: ${err.message}\n(see: sensorpipe --help)\n`)
    process.exitCode = EXIT.usage
  }
}
void main()
