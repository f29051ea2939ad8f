import { open, stat, type FileHandle } from 'node:fs/promises'
import { readSync, watch, type FSWatcher } from 'node:fs'
import { SourceError } from '../errors.js'
import type { SourceOptions } from '../types.js'
import { positiveInteger } from '../util/validate.js'
import { lendChunk, Pool } from '../batch/owned.js'

export interface FromFileOptions extends SourceOptions {
  /** Keep reading data appended to the file, like `tail -f`, until the signal aborts. Default false. */
  follow?: boolean
  /** Bytes read per chunk. The source holds at most two chunks (one read ahead). Default 256 KiB. */
  chunkBytes?: number
  /**
   * A regular file read to its end starts with reads of this many bytes, doubled at every read
   * up to `chunkBytes`, so that the first records reach the stages after them sooner. Default
   * `chunkBytes` (no ramp). The parse worker of `--threads 2` starts at 16 KiB: the main thread
   * waits for its first batch, parsed by code not yet optimized.
   */
  firstChunkBytes?: number
  /** With `follow`: how often to look for new data when no change event arrives, in ms. Default 250. */
  pollMs?: number
  /** With `follow`: called when the file shrank (truncated or replaced) and reading restarted at 0. */
  onTruncate?: (info: { path: string, position: number, size: number }) => void
  /**
   * Fill chunk buffers again once their consumer hands them back, instead of a fresh buffer per
   * chunk. Only for a source read by {@link lines} directly: `lines` hands each chunk back when
   * the batch made from it is released (see `Owned`), so a chunk kept anywhere else could be
   * overwritten. At most 4 buffers wait for reuse. Default false.
   */
  reuse?: boolean
}

/**
 * Reads a file as a stream of Buffer chunks. Holds at most two chunks (`chunkBytes`, default 256 KiB: the one handed on and one read ahead).
 * With `follow` it keeps waiting for appended data until the signal aborts: a change event
 * (`fs.watch`, armed before the first read) wakes it at once, and a poll every `pollMs` catches a
 * change the watcher misses. A file that shrinks is read again from its start and reported to
 * `onTruncate`; a file replaced at the path (rotated) is reopened and reported too.
 * Errors opening or reading surface as a {@link SourceError} on the first `next()`. Ends at end
 * of file (without `follow`) or on abort; the file is closed in every case.
 *
 * @example
 * ```ts
 * for await (const chunk of fromFile('readings.csv')) process.stdout.write(chunk)
 * ```
 */
export function fromFile (path: string, options: FromFileOptions = {}): AsyncIterable<Buffer> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" must be a non-empty string')
  const { follow = false, signal, onTruncate } = options
  const chunkBytes = positiveInteger('chunkBytes', options.chunkBytes ?? DEFAULT_CHUNK_BYTES)
  const firstChunkBytes = positiveInteger('firstChunkBytes', options.firstChunkBytes ?? chunkBytes)
  const pollMs = positiveInteger('pollMs', options.pollMs ?? 250)
  if (typeof follow !== 'boolean') throw new TypeError('"follow" must be a boolean')
  const reuse = options.reuse ?? false
  if (typeof reuse !== 'boolean') throw new TypeError('"reuse" must be a boolean')

  return {
    async * [Symbol.asyncIterator] () {
      const aborted = (): boolean => signal?.aborted === true
      if (aborted()) return
      let fh: FileHandle
      try {
        fh = await open(path, 'r')
      } catch (err) {
        throw openError(path, err)
      }
      // Follow mode's wake-ups. `changed` is set by every change event and cleared when a read
      // is issued, so an event that comes while we read or stat (before we wait) is not lost: the
      // wait is skipped and the file read again. The watcher is armed before the first read, and
      // every wait also has a poll timer, so a change the watcher misses (or a platform without
      // fs.watch) costs at most one `pollMs`.
      let watcher: FSWatcher | undefined
      let changed = false
      let wake: (() => void) | undefined
      let timer: NodeJS.Timeout | undefined
      const onChange = (): void => { changed = true; wake?.() }
      const onAbort = (): void => { wake?.() }
      const arm = (): void => {
        watcher ??= tryWatch(path, onChange, w => {
          w.close()
          if (watcher === w) watcher = undefined
        })
      }
      signal?.addEventListener('abort', onAbort)
      // One read ahead: while the consumer works on a chunk, the next one is being read, so the
      // pipeline does not sit idle on each read. At most two chunks are held.
      type Read = { buf: Buffer, bytesRead: number }
      let ahead: Promise<Read> | undefined
      // With reuse, buffers that lines() handed back (each owns its memory, so it can be told
      // apart from other bytes by that memory).
      const pool = reuse ? new Pool<Buffer>(4) : undefined
      const newChunk = (): Buffer => {
        // Without reuse, a fresh buffer per chunk: the consumer may keep views of it (a LineBatch does).
        if (pool === undefined) return Buffer.allocUnsafe(chunkBytes)
        const buf = pool.take(() => true) ?? Buffer.allocUnsafeSlow(chunkBytes)
        lendChunk(buf, () => { pool.give(buf) })
        return buf
      }
      const readAt = (at: number): Promise<Read> => {
        changed = false // what changes from here on is seen by this read or sets it again
        const buf = newChunk()
        // (A FIFO or a device cannot seek: it is read from where it is.)
        const p = fh.read(buf, 0, chunkBytes, regular ? at : null).then(r => ({ buf, bytesRead: r.bytesRead }))
        p.catch(() => {}) // a read-ahead that is never awaited must not be an unhandled rejection
        return p
      }
      let regular = false
      try {
        regular = (await fh.stat()).isFile()
        if (follow) arm()
        let position = 0
        // A regular file read to its end (not followed) is read synchronously while it comes
        // from the page cache: such a read is a copy of tens of microseconds, while an
        // asynchronous one costs a turn of the event loop per chunk (about 6 % of the reference
        // job at 20M lines, even with the read-ahead). Every SYNC_TURN chunks the loop gets a turn
        // anyway, so timers, signals and V8's own tasks (garbage collection, freeing array
        // buffers) are not held off. SLOW_READS reads in a row that took longer than SLOW_READ_MS
        // each went to the disk: from there on the file is read asynchronously, one chunk ahead,
        // so that reading overlaps the work, as for a FIFO, a device or a followed file. (One slow
        // read is not enough: on a busy machine a read from the page cache is sometimes held up
        // 5-7 ms, in about one run in six of the reference job, which then read the rest of the
        // file asynchronously.) The reads start at firstChunkBytes and double up to chunkBytes.
        if (!follow && regular) {
          let slowInARow = 0
          let size = Math.min(firstChunkBytes, chunkBytes)
          for (let turn = 0; ; turn++) {
            if (turn % SYNC_TURN === SYNC_TURN - 1) await new Promise<void>(resolve => { setImmediate(resolve) })
            if (aborted()) return
            const buf = newChunk()
            let bytesRead: number
            const t0 = Date.now()
            try {
              bytesRead = readSync(fh.fd, buf, 0, size, position)
            } catch (err) {
              throw readError(path, err)
            }
            slowInARow = Date.now() - t0 > SLOW_READ_MS ? slowInARow + 1 : 0
            if (bytesRead === 0) return
            position += bytesRead
            yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead)
            size = Math.min(chunkBytes, 2 * size)
            if (slowInARow === SLOW_READS) break
          }
        }
        for (;;) {
          if (aborted()) return
          let read: Read
          try {
            read = await (ahead ?? readAt(position))
          } catch (err) {
            throw readError(path, err)
          } finally {
            ahead = undefined
          }
          const { buf, bytesRead } = read
          if (bytesRead > 0) {
            position += bytesRead
            if (bytesRead === chunkBytes) ahead = readAt(position)
            yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead)
            continue
          }
          if (!follow) return
          // At the end of a followed file: wait for a change event, a poll tick, or abort.
          const size = (await fh.stat()).size
          if (size < position) {
            onTruncate?.({ path, position, size })
            position = 0
            continue
          }
          if (size > position) continue
          const replaced = await wasReplaced(path, fh)
          if (replaced) {
            onTruncate?.({ path, position, size: -1 })
            await fh.close()
            try { fh = await open(path, 'r') } catch (err) { throw openError(path, err) }
            regular = (await fh.stat()).isFile()
            // The watcher is on the old file (an inode, not a path): watch the new one.
            watcher?.close()
            watcher = undefined
            arm()
            position = 0
            continue
          }
          arm() // again, if it failed or errored before
          // Checked and set up in one synchronous step: nothing can slip in between.
          if (!changed && !aborted()) {
            await new Promise<void>(resolve => {
              wake = resolve
              timer = setTimeout(resolve, pollMs)
            })
            clearTimeout(timer)
            wake = undefined
          }
        }
      } finally {
        signal?.removeEventListener('abort', onAbort)
        clearTimeout(timer)
        watcher?.close()
        if (ahead !== undefined) await ahead.catch(() => {})
        await fh.close()
      }
    }
  }
}

/** Bytes read per chunk unless told otherwise. */
const DEFAULT_CHUNK_BYTES = 262144

/** Chunks read synchronously between two turns of the event loop (2 MiB at the default size). */
const SYNC_TURN = 8
/**
 * A synchronous read slower than this came from the disk, not the page cache (25-60 µs per 256
 * KiB). Timed with Date.now(): the `performance` global loads node:perf_hooks (about 0.8 MiB),
 * and a millisecond is fine enough here.
 */
const SLOW_READ_MS = 2
/** Slow synchronous reads in a row after which the rest of the file is read asynchronously. */
const SLOW_READS = 2

function readError (path: string, err: unknown): SourceError {
  return new SourceError('ERR_SOURCE_READ', `cannot read ${path}: ${(err as Error).message}`, { cause: err, path })
}

function openError (path: string, err: unknown): SourceError {
  const code = (err as NodeJS.ErrnoException).code
  const why = code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message
  return new SourceError('ERR_SOURCE_OPEN', `cannot open ${path}: ${why}`, { cause: err, path })
}

// A rotated file (renamed away, a new one created at the path) has a new inode at the path.
async function wasReplaced (path: string, fh: FileHandle): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([stat(path), fh.stat()])
    return a.ino !== b.ino || a.dev !== b.dev
  } catch {
    return false // gone for now: keep waiting for it to come back
  }
}

// A watcher that errs (the file was deleted, say) is dropped through `onError`; the poll timer
// keeps reading going, and the next wait arms a new watcher.
function tryWatch (path: string, onChange: () => void, onError: (w: FSWatcher) => void): FSWatcher | undefined {
  try {
    const w = watch(path, { persistent: false }, onChange)
    w.on('error', () => { onError(w) })
    return w
  } catch {
    return undefined
  }
}
