// What the commands share: copying flags onto options, and Ctrl-C handling.
import { EXIT } from './errors.js'

/** Copies the given flags that were set from argv into an options object. */
export function pick<T extends object> (argv: Record<string, unknown>, flags: readonly string[], into: T): T {
  for (const flag of flags) {
    const v = argv[flag]
    if (v !== undefined) (into as Record<string, unknown>)[flag] = v
  }
  return into
}

/**
 * Runs `work` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts, so the source ends and
 * everything already read is written; returns work's exit status, or 130 / 143 after a
 * signal. A second Ctrl-C stops at once.
 */
export async function interruptible (work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController()
  let status: number | undefined
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm)
    status = sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const result = await work(controller.signal)
    return result === EXIT.ok ? status ?? result : result
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
