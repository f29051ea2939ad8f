import { SensorpipeError } from '../errors.js'

/**
 * Exit statuses of the CLI. `heap` (3): `--max-heap` stopped the run because the heap after
 * garbage collection grew past the budget (docs/memory.md).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, heap: 3, sigint: 130, sigterm: 143 } as const

/**
 * Prints an error as one line (no stack for user mistakes: bad options, missing files, bad
 * input) and returns the exit status to set. Anything else is a bug: its stack is shown only
 * with SENSORPIPE_DEBUG=1.
 */
export function reportError (err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof TypeError && !(err as { code?: unknown }).code) {
    // Option validation in the stage factories throws TypeErrors naming the option.
    stderr.write(`sensorpipe: ${err.message}\n`)
    return EXIT.usage
  }
  if (SensorpipeError.is(err)) {
    stderr.write(`sensorpipe: ${err.message}\n`)
    if (err.code === 'ERR_HEAP_BUDGET') return EXIT.heap
    return err.code === 'ERR_CONFIG' || err.code === 'ERR_EXPRESSION' ? EXIT.usage : EXIT.failure
  }
  const e = err as Error
  stderr.write(`sensorpipe: internal error: ${e?.message ?? String(err)}${process.env.SENSORPIPE_DEBUG === '1' ? '\n' + String(e?.stack) : ' (set SENSORPIPE_DEBUG=1 to see where)'}\n`)
  return EXIT.failure
}
