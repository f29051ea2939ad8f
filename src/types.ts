/**
 * A stage: a function from an async iterable to an async iterable, built by a factory that has
 * already validated its options. Nothing is pulled until the returned iterable is iterated.
 *
 * Hot stages pass **batches** (arrays of records, or Buffer chunks for byte stages) so that the
 * per-record work is a synchronous loop and the async hop is paid once per batch.
 */
export type Stage<A, B> = (source: AsyncIterable<A>) => AsyncIterable<B>

/** A record: one parsed reading, a plain object of named fields. */
export type SensorRecord = Record<string, unknown>

/** A batch of records, the unit that flows between the record stages. */
export type Batch<T = SensorRecord> = T[]

/** A line or record that a stage rejected, with what is needed to inspect or replay it. */
export interface Rejection {
  /** The stage that rejected it, e.g. `parseCsv`, `lines`. */
  stage: string
  /** A stable, machine-readable reason, e.g. `field-count`, `bad-float`, `too-long`. */
  reason: string
  /** A human-readable detail, e.g. `column "value": "23.5x" is not a float`. */
  detail: string
  /** 1-based number of the line among the lines this stage received. */
  line: number
  /** The raw text (for `too-long`, its first bytes only). */
  raw: string
}

/**
 * Receives rejected lines or records; the CLI's `--on-error dead-letter:FILE` writes them as JSON
 * lines. `bytes`, when the stage had them, are the line's original bytes (line ending excluded;
 * for `too-long`, its first 256 bytes), so a line that is not valid UTF-8 can be kept exactly. They
 * are a view of the input chunk: copy them (`Buffer.from(bytes)`) to keep them past the call.
 */
export type RejectionHandler = (rejection: Rejection, bytes?: Uint8Array) => void

/** Options every source takes. */
export interface SourceOptions {
  /** Aborting ends the source: its `finally` runs and its resources are released. */
  signal?: AbortSignal
}
