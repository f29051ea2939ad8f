import { WriteStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { returnChunk } from '../batch/owned.js'
import { SinkError } from '../errors.js'

export interface WriteResult {
  /** Bytes written. */
  bytes: number
  /** True when the reader went away (EPIPE) and writing stopped early. Not an error. */
  closed: boolean
}

/**
 * A consumer that writes a stream of strings or Buffers to a file path or a writable stream,
 * honouring backpressure (it waits for `drain`, so at most the stream's buffer plus one chunk is
 * held). When the reader of a pipe goes away (EPIPE) it stops pulling, which ends the pipeline,
 * and resolves with `closed: true`. A path is created or truncated, and closed at the end.
 * Other write errors reject with a {@link SinkError}.
 *
 * Once a chunk is written to a file (a path, an `fs.WriteStream`, `process.stdout` or
 * `process.stderr`) or a socket, it is handed back to whoever lent it (`returnChunk`: a reusing
 * `toJsonLines` or `fromFile`); a chunk written to any other stream is not, since the stream
 * may pass the same Buffer on (a `PassThrough` does).
 *
 * @example
 * ```ts
 * const { bytes } = await writeTo('out.jsonl')(pipe(readings, toJsonLines()))
 * ```
 */
export function writeTo (target: string | Writable): (chunks: AsyncIterable<string | Uint8Array>) => Promise<WriteResult> {
  if (typeof target !== 'string' && (target === null || typeof (target as Writable).write !== 'function')) {
    throw new TypeError('"target" must be a file path or a writable stream')
  }
  return async function write (chunks) {
    if (typeof target === 'string') return await writeFile(target, chunks)
    return await writeStream(target, chunks)
  }
}

async function writeFile (path: string, chunks: AsyncIterable<string | Uint8Array>): Promise<WriteResult> {
  let fh
  try {
    fh = await open(path, 'w')
  } catch (err) {
    throw new SinkError('ERR_SINK_OPEN', `cannot open ${path} for writing: ${describeErr(err)}`, { cause: err })
  }
  let bytes = 0
  try {
    for await (const chunk of chunks) {
      try {
        const { bytesWritten } = typeof chunk === 'string' ? await fh.write(chunk) : await fh.write(chunk)
        bytes += bytesWritten
        if (typeof chunk !== 'string') returnChunk(chunk)
      } catch (err) {
        throw new SinkError('ERR_SINK_WRITE', `cannot write ${path}: ${describeErr(err)}`, { cause: err })
      }
    }
  } finally {
    await fh.close()
  }
  return { bytes, closed: false }
}

async function writeStream (stream: Writable, chunks: AsyncIterable<string | Uint8Array>): Promise<WriteResult> {
  let bytes = 0
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const onError = (err: Error): void => { failure = err; wake?.() }
  const onDrain = (): void => { wake?.() }
  stream.on('error', onError)
  stream.on('drain', onDrain)
  // Streams that write to a file descriptor are done with a chunk when its write calls back.
  // (node:net is fetched only for a stream that is none of the others: the CLI writes to stdout
  // and does not load it otherwise.)
  const handsBack = stream === process.stdout || stream === process.stderr || stream instanceof WriteStream ||
    stream instanceof process.getBuiltinModule('node:net').Socket
  const isClosed = (err: Error | undefined): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' || (err as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_DESTROYED'
  try {
    for await (const chunk of chunks) {
      if (failure !== undefined) break
      let ok: boolean
      if (handsBack && typeof chunk !== 'string') {
        // Handed back once: as soon as write() returns when nothing is left buffered (a file is
        // written synchronously, a pipe with room too), else when the write calls back. (Its
        // callback comes only after the pipeline's chain of promises next settles, which, with
        // a file read synchronously, is batches later.)
        let back = false
        const handBack = (): void => { if (!back) { back = true; returnChunk(chunk) } }
        ok = stream.write(chunk, handBack)
        if (stream.writableLength === 0) handBack()
      } else {
        ok = stream.write(chunk)
      }
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
      if (!ok && failure === undefined) {
        await new Promise<void>(resolve => { wake = resolve })
        wake = undefined
      }
      if (failure !== undefined) break
    }
  } finally {
    stream.off('drain', onDrain)
    // Keep a listener: a late EPIPE after we stop must not become an uncaught exception.
    stream.off('error', onError)
    stream.on('error', () => {})
  }
  if (failure !== undefined) {
    if (isClosed(failure)) return { bytes, closed: true }
    throw new SinkError('ERR_SINK_WRITE', `cannot write output: ${describeErr(failure)}`, { cause: failure })
  }
  return { bytes, closed: false }
}

/** A file-system error as a short phrase for a one-line message (the errno's meaning, else its message). */
export function describeErr (err: unknown): string {
  const e = err as NodeJS.ErrnoException
  if (e.code === 'ENOSPC') return 'no space left on device'
  if (e.code === 'EACCES') return 'permission denied'
  if (e.code === 'ENOENT') return 'no such directory'
  if (e.code === 'EISDIR') return 'is a directory'
  return e.message
}
