// Shared by the memory tests: reference-job input, generated lazily (never held whole), either as
// a stream of Buffers or written to a file.
import { createWriteStream } from 'node:fs'

/** Sensors in the generated input: `dev-0` .. `dev-63`, one line each in turn. */
export const SENSORS = 64

/**
 * Reference-job CSV text, `ts,sensor,value`, one line per ms from 1,700,000,000,000, 64 sensors in
 * turn, values from -50 to 150 (so `where` drops some), in chunks of about `chunk` bytes.
 */
export function * referenceText (n: number, chunk = 1 << 20): Generator<string> {
  let seed = 12345
  let i = 0
  while (i < n) {
    let text = ''
    while (i < n && text.length < chunk) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      text += `${1_700_000_000_000 + i},dev-${i % SENSORS},${((seed >>> 8) % 20000 - 5000) / 100}\n`
      i++
    }
    yield text
  }
}

/** The same input as a source of Buffers. */
export async function * referenceSource (n: number, chunk = 1 << 18): AsyncGenerator<Buffer> {
  for (const text of referenceText(n, chunk)) yield Buffer.from(text, 'latin1')
}

/** Writes `n` reference lines to `path`, honouring backpressure. */
export async function writeReferenceFile (path: string, n: number): Promise<void> {
  const out = createWriteStream(path)
  for (const text of referenceText(n)) {
    if (!out.write(text)) await new Promise<void>(resolve => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => { out.on('error', reject); out.end(resolve) })
}

/** Lets `turns` turns of the event loop pass (finalizers and WeakRef clearing happen between them). */
export async function turns (count = 2): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise(resolve => setImmediate(resolve))
}
