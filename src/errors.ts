/**
 * Base class of every error sensorpipe throws on purpose. `code` is stable and safe to branch on;
 * the CLI prints `message` alone (no stack) for any `SensorpipeError`.
 */
export class SensorpipeError extends Error {
  /** Brand shared across copies of the library (the CLI bundle and a pipeline's import). */
  static readonly brand = Symbol.for('sensorpipe.error')
  readonly code: string
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SensorpipeError'
    this.code = code
  }

  /** True for any sensorpipe error, even one made by another copy of the library. */
  static is (err: unknown): err is SensorpipeError {
    return err instanceof Error && (err as unknown as Record<symbol, unknown>)[SensorpipeError.brand] === true
  }
}
Object.defineProperty(SensorpipeError.prototype, SensorpipeError.brand, { value: true })

/** A user-written expression (`--where`) does not parse; `column` is 1-based. */
export class ExpressionError extends SensorpipeError {
  readonly column: number
  readonly expression: string
  constructor (message: string, expression: string, column: number) {
    super('ERR_EXPRESSION', `${message} at column ${column}\n  ${expression}\n  ${' '.repeat(Math.max(0, column - 1))}^`)
    this.name = 'ExpressionError'
    this.column = column
    this.expression = expression
  }
}

/** A source could not be opened or read (missing file, permission, a device that went away). */
export class SourceError extends SensorpipeError {
  readonly path: string | undefined
  constructor (code: string, message: string, options?: { cause?: unknown, path?: string }) {
    super(code, message, options)
    this.name = 'SourceError'
    this.path = options?.path
  }
}

/** An output could not be written (cannot open, disk full). A reader that went away is not one. */
export class SinkError extends SensorpipeError {
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'SinkError'
  }
}

/** A pipeline definition (`pipelines/NAME.ts`) or a combination of options is invalid. */
export class ConfigError extends SensorpipeError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options)
    this.name = 'ConfigError'
  }
}

/** A stage was stopped on purpose: `--on-error fail` met a rejected line. */
export class RejectedInputError extends SensorpipeError {
  readonly line: number
  readonly reason: string
  constructor (message: string, line: number, reason: string) {
    super('ERR_REJECTED_INPUT', message)
    this.name = 'RejectedInputError'
    this.line = line
    this.reason = reason
  }
}

/**
 * A batch was read after its owner released it, so its storage may already hold a later batch:
 * code that keeps a batch past handing it on must `retain()` it first (see {@link Owned}).
 */
export class BatchReleasedError extends SensorpipeError {
  constructor () {
    super('ERR_BATCH_RELEASED', 'this batch was released and its storage reused: call retain() on a batch you keep after handing it on')
    this.name = 'BatchReleasedError'
  }
}
