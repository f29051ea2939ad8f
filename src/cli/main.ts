import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { runCommand } from './commands/run.js'
import { EXIT } from './errors.js'

declare const SENSORPIPE_VERSION: string | undefined

// Commands, registered from one explicit list.
const commands = [runCommand]

const cli = yargs(hideBin(process.argv))
  .scriptName('sensorpipe')
  .usage('$0 <command> [options]\n\nStream sensor data from serial devices and files through lazy, bounded-memory parse, filter and window stages.')
  .version(typeof SENSORPIPE_VERSION === 'string' ? SENSORPIPE_VERSION : '0.0.0-dev')
  .strict()
  .demandCommand(1, 'Give a command, e.g. sensorpipe run --help')
  .recommendCommands()
  .wrap(Math.min(110, process.stdout.columns ?? 100))
  .epilogue('Docs: README.md and docs/ in the package.')
  .fail((msg, err) => {
    if (err !== undefined && err !== null) throw err
    process.stderr.write(`sensorpipe: ${msg}\n(see: sensorpipe --help)\n`)
    process.exitCode = EXIT.usage
  })
for (const c of commands) cli.command(c as never)
await cli.parseAsync()
