// The source of a run, chosen from its options: a serial port (`port`), a recording (`replay`),
// a file (`file`) or standard input. Used by runPipeline and `sensorpipe record`.
import { createWriteStream, openSync, type WriteStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { ConfigError, SinkError } from '../errors.js'
import type { PipelineOptions } from '../pipeline.js'
import { parseDuration } from '../window/duration.js'
import { fromFile, type FromFileOptions } from './file.js'
import { fromReplay, type ReplayStats } from './replay.js'
import { decodeEscapes, fromSerial, type SerialEvent, type SerialStats } from './serial.js'
import { fromStdin } from './stdin.js'

/** A run's source, built and not yet started. */
export interface SelectedSource {
  source: AsyncIterable<Buffer>
  /** The live counters of a serial or replay source, for the run's summary. */
  stats: { serial?: SerialStats, replay?: ReplayStats }
}

// Options that only mean something with one kind of source, by flag.
const SERIAL_ONLY = [['baud', '--baud'], ['dataBits', '--data-bits'], ['parity', '--parity'], ['stopBits', '--stop-bits'],
  ['rtscts', '--rtscts'], ['xonxoff', '--xonxoff'], ['init', '--init'], ['poll', '--poll'], ['every', '--every'],
  ['keepFirstLine', '--keep-first-line'], ['reconnectMin', '--reconnect-min'], ['reconnectMax', '--reconnect-max'],
  ['reconnectJitter', '--reconnect-jitter'], ['reconnectAttempts', '--reconnect-attempts'], ['bufferBytes', '--buffer-bytes'],
  ['overflow', '--overflow']] as const
const REPLAY_ONLY = [['speed', '--speed'], ['maxSpeed', '--max-speed'], ['maxGap', '--max-gap'], ['loop', '--loop']] as const

/**
 * Builds the source the options name, validating them first: one source only, each source's
 * own options only with it (a ConfigError naming the flags otherwise), and each value (a
 * TypeError naming it). Nothing is opened until the source is iterated.
 */
export function selectSource (o: PipelineOptions, context: { signal?: AbortSignal, stdin?: Readable, onEvent?: (e: SerialEvent) => void, onTruncate?: FromFileOptions['onTruncate'], reuse?: boolean }): SelectedSource {
  const { signal, onEvent } = context
  const file = o.file === '-' ? undefined : o.file
  const given = [['--port', o.port], ['--replay', o.replay], ['--file', file]].filter(([, v]) => v !== undefined).map(([flag]) => flag)
  if (given.length > 1) throw new ConfigError(`give one source: ${given.join(' or ')}`)
  if (o.port === undefined) forbid(o, SERIAL_ONLY, '--port')
  if (o.replay === undefined) forbid(o, REPLAY_ONLY, '--replay')
  if (o.follow === true && file === undefined) throw new ConfigError('--follow needs --file PATH')
  if (o.every !== undefined && o.poll === undefined) throw new ConfigError('--every needs --poll STRING')
  if (o.emitEvents === true) {
    if (o.port === undefined && o.replay === undefined) throw new ConfigError('--emit-events needs --port or --replay')
    if (o.outputFormat === 'csv') throw new ConfigError('--emit-events writes JSON lines: it needs --output-format jsonl')
  }

  if (o.port !== undefined) {
    const source = fromSerial({
      path: o.port,
      baudRate: o.baud ?? 9600,
      dataBits: o.dataBits,
      parity: o.parity,
      stopBits: o.stopBits,
      rtscts: o.rtscts,
      xonxoff: o.xonxoff,
      init: o.init === undefined ? undefined : decodeEscapes(o.init, 'init'),
      poll: o.poll === undefined ? undefined : decodeEscapes(o.poll, 'poll'),
      pollEveryMs: o.every === undefined ? undefined : parseDuration(o.every, 'every'),
      dropFirstLine: o.keepFirstLine === true ? false : undefined,
      reconnectMinMs: o.reconnectMin === undefined ? undefined : parseDuration(o.reconnectMin, 'reconnect-min'),
      reconnectMaxMs: o.reconnectMax === undefined ? undefined : parseDuration(o.reconnectMax, 'reconnect-max'),
      reconnectJitter: o.reconnectJitter,
      reconnectAttempts: o.reconnectAttempts,
      maxBufferBytes: o.bufferBytes,
      overflow: o.overflow,
      maxLineBytes: o.maxLineBytes,
      onEvent,
      signal
    })
    return { source, stats: { serial: source.stats } }
  }
  if (o.replay !== undefined) {
    const source = fromReplay(o.replay, {
      speed: o.speed,
      maxSpeed: o.maxSpeed,
      maxGapMs: o.maxGap === undefined ? undefined : parseDuration(o.maxGap, 'max-gap'),
      loop: o.loop,
      onEvent,
      signal
    })
    return { source, stats: { replay: source.stats } }
  }
  if (file !== undefined) return { source: fromFile(file, { follow: o.follow === true, signal, onTruncate: context.onTruncate, reuse: context.reuse }), stats: {} }
  return { source: fromStdin({ signal, stream: context.stdin }), stats: {} }
}

function forbid (o: PipelineOptions, names: ReadonlyArray<readonly [keyof PipelineOptions, string]>, needs: string): void {
  const flags = names.filter(([name]) => o[name] !== undefined && o[name] !== false).map(([, flag]) => flag)
  if (flags.length > 0) throw new ConfigError(`${flags.join(', ')} ${flags.length === 1 ? 'needs' : 'need'} ${needs}`)
}

/** A file opened for writing as a stream (fails at once with a SinkError, like writeTo's). */
export async function openOutputStream (path: string): Promise<WriteStream> {
  let fd: number
  try {
    fd = openSync(path, 'w')
  } catch (err) {
    throw new SinkError('ERR_SINK_OPEN', `cannot open ${path} for writing: ${(err as Error).message}`, { cause: err })
  }
  return createWriteStream(path, { fd })
}

/** Ends a stream and waits until everything written is flushed (or it failed). */
export async function endStream (stream: WriteStream): Promise<void> {
  if (stream.destroyed) return
  await new Promise<void>(resolve => {
    stream.once('error', () => resolve())
    stream.end(() => resolve())
  })
}
