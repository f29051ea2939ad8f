// The parse worker (parseInWorker, `--threads 2`): the same batches, counters, rejections and
// errors as framing and parsing on the main thread. The worker runs built code, so these tests
// import the library from dist/ (`npm test` builds first).
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, ROOT, runCli, tempDir } from '../cli/helpers.js'
import type * as Lib from '../../src/index.js'

let lib: typeof Lib
let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  lib = await import(join(ROOT, 'dist', 'index.js')) as typeof Lib
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

const GREENHOUSE = join(ROOT, 'fixtures', 'greenhouse.csv')
const COLUMNS = 'ts:time,sensor:string,temp:float,hum:float'
// The greenhouse run of `npm start`, by flags.
const GREENHOUSE_FLAGS = ['--columns', COLUMNS, '--where', 'temp >= -40 && temp <= 125', '--key', 'sensor', '--time', 'ts', '--window', '1m', '--agg', 'count,mean,min,max', '--value', 'temp', '--summary']

interface Seen { rows: Lib.SensorRecord[], rejections: Array<[Lib.Rejection, string | undefined]>, stats: unknown }

async function inline (path: string, options: Lib.ParseOptions): Promise<Seen> {
  const rejections: Seen['rejections'] = []
  const { framer, parser } = lib.frameAndParse(options, (r, bytes) => { rejections.push([r, bytes === undefined ? undefined : Buffer.from(bytes).toString('base64')]) })
  const rows: Lib.SensorRecord[] = []
  for await (const batch of lib.pipe(lib.fromFile(path, { chunkBytes: 4096 }), framer, parser)) rows.push(...batch.toRows())
  return { rows, rejections, stats: { framer: { ...framer.stats }, parser: { ...parser.stats, reasons: { ...parser.stats.reasons } } } }
}

// Batches of lines each thread parsed, for the last inWorker() call.
let split = { worker: 0, here: 0 }

async function inWorker (path: string, options: Lib.ParseOptions, parseHere?: 'auto' | 'none' | 'all'): Promise<Seen> {
  const rejections: Seen['rejections'] = []
  const parsed = lib.parseInWorker(path, options, { chunkBytes: 4096, window: 2, parseHere, onRejected: (r, bytes) => { rejections.push([r, bytes === undefined ? undefined : Buffer.from(bytes).toString('base64')]) } })
  const rows: Lib.SensorRecord[] = []
  for await (const batch of parsed) rows.push(...batch.toRows())
  const { framer, parser } = parsed.stats
  split = { ...parsed.stats.batches }
  // Reasons with no rejection here are left out (a count of 0 means the other thread had none).
  const reasons = Object.fromEntries(Object.entries(parser.reasons).filter(([, n]) => n > 0))
  return { rows, rejections, stats: { framer: { ...framer }, parser: { ...parser, reasons } } }
}

describe('parseInWorker', () => {
  it('gives the records, counters and rejections of the main-thread stages (typed CSV, many small chunks)', async () => {
    const a = await inline(GREENHOUSE, { columns: COLUMNS })
    const b = await inWorker(GREENHOUSE, { columns: COLUMNS })
    expect(a.rows.length).toBeGreaterThan(4000)
    expect(a.rejections.length).toBeGreaterThan(0)
    expect(b).toEqual(a)
  })

  it('does the same for hostile input: invalid UTF-8, NUL bytes, lone CRs, quoted newlines, a header, JSON lines', async () => {
    const cases: Array<[string, Lib.ParseOptions]> = [
      ['test/corpus/invalid-utf8.csv', { columns: COLUMNS }],
      ['test/corpus/nul-bytes.csv', { columns: COLUMNS }],
      ['test/corpus/lone-cr.csv', { columns: COLUMNS }],
      ['test/corpus/rfc4180.csv', { header: true, quotedNewlines: true, maxLineBytes: 200 }],
      ['test/corpus/overflow.jsonl', { format: 'json' }],
      ['test/corpus/many-fields.kv', { format: 'kv' }]
    ]
    for (const [file, options] of cases) {
      const path = join(ROOT, file)
      expect(await inWorker(path, options), file).toEqual(await inline(path, options))
    }
  })

  it('gives the same when this thread parses the batches the worker hands over (parseHere), and only where each batch parses alone', async () => {
    // Lines over maxLineBytes among rejected ones in the same chunks: such a batch stays on the
    // worker, where the framer and the parser report them in the order one thread does.
    const mixed = join(tmp.path, 'mixed.csv')
    const good = '1700000000000,dev-01,21.5,60\n'
    await writeFile(mixed, Array.from({ length: 3000 }, (_, i) => i % 601 === 5 ? 'x'.repeat(120) + '\n' : i % 89 === 3 ? '1700000000000,dev-02,warm,60\n' : good).join(''))
    const cases: Array<[string, Lib.ParseOptions, boolean]> = [
      [GREENHOUSE, { columns: COLUMNS }, true],
      [GREENHOUSE, { columns: COLUMNS, onError: 'skip', maxLineBytes: 40 }, true],
      [mixed, { columns: COLUMNS, maxLineBytes: 100 }, true],
      [join(ROOT, 'test/corpus/invalid-utf8.csv'), { columns: COLUMNS }, true],
      [join(ROOT, 'test/corpus/overflow.jsonl'), { format: 'json' }, true],
      [join(ROOT, 'test/corpus/many-fields.kv'), { format: 'kv' }, true],
      [join(ROOT, 'test/corpus/rfc4180.csv'), { header: true, quotedNewlines: true, maxLineBytes: 200 }, false]
    ]
    for (const [path, options, handsOver] of cases) {
      const want = await inline(path, options)
      expect(await inWorker(path, options, 'all'), path).toEqual(want)
      if (handsOver) expect(split.here, path).toBeGreaterThan(0)
      else expect(split.here, path).toBe(0)
      // The batches with a line too long, parsed on the worker.
      if (path === mixed) expect(split.worker).toBeGreaterThanOrEqual(5)
      expect(await inWorker(path, options, 'none'), path).toEqual(want)
      expect(split.here).toBe(0)
    }
    expect(() => lib.parseInWorker(GREENHOUSE, { columns: COLUMNS }, { parseHere: 'some' as 'all' })).toThrow(/parseHere/)
  })

  it('gives each batch its own records whether the consumer releases batches (their shared memory is filled again) or keeps them', async () => {
    const want = (await inline(GREENHOUSE, { columns: COLUMNS })).rows
    const released: Lib.SensorRecord[] = []
    for await (const batch of lib.parseInWorker(GREENHOUSE, { columns: COLUMNS }, { chunkBytes: 4096, window: 2, parseHere: 'none' })) {
      released.push(...batch.toRows())
      batch.release()
    }
    expect(released).toEqual(want)
    const kept: Lib.RecordBatch[] = []
    for await (const batch of lib.parseInWorker(GREENHOUSE, { columns: COLUMNS }, { chunkBytes: 4096, window: 2, parseHere: 'none' })) kept.push(batch)
    expect(kept.length).toBeGreaterThan(10)
    expect(kept.flatMap(b => b.toRows())).toEqual(want)
  })

  it('applies a where expression on the worker, with the counters of where() on this thread', async () => {
    const expr = 'temp >= 20 && hum < 70'
    const filter = lib.where(expr)
    const { framer, parser } = lib.frameAndParse({ columns: COLUMNS })
    const want: Lib.SensorRecord[] = []
    for await (const batch of lib.pipe(lib.fromFile(GREENHOUSE), framer, parser, filter)) want.push(...batch.toRows())
    for (const parseHere of ['none', 'all'] as const) {
      const parsed = lib.parseInWorker(GREENHOUSE, { columns: COLUMNS }, { where: expr, chunkBytes: 4096, parseHere })
      const got: Lib.SensorRecord[] = []
      for await (const batch of parsed) got.push(...batch.toRows())
      expect(got).toEqual(want)
      expect(parsed.stats.filter).toEqual(filter.stats)
      expect(parsed.stats.batches.here > 0).toBe(parseHere === 'all')
    }
    expect(want.length).toBeGreaterThan(100)
    expect(filter.stats.dropped).toBeGreaterThan(100)
    expect(() => lib.parseInWorker(GREENHOUSE, { columns: COLUMNS }, { where: 'temp >' })).toThrow(lib.ExpressionError)
  })

  it('stops with the RejectedInputError of the first bad line under onError: fail', async () => {
    const err = await inWorker(GREENHOUSE, { columns: COLUMNS, onError: 'fail' }).catch((e: unknown) => e)
    const want = await inline(GREENHOUSE, { columns: COLUMNS, onError: 'fail' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(lib.RejectedInputError)
    expect(err).toMatchObject({ name: 'RejectedInputError', code: 'ERR_REJECTED_INPUT', message: (want as Error).message, line: (want as Lib.RejectedInputError).line })
  })

  it('reports a missing file as the SourceError fromFile gives', async () => {
    const path = join(tmp.path, 'missing.csv')
    const err = await inWorker(path, { columns: COLUMNS }).catch((e: unknown) => e)
    const want = await inline(path, { columns: COLUMNS }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(lib.SourceError)
    expect(err).toMatchObject({ code: (want as Lib.SourceError).code, message: (want as Error).message })
  })

  it('validates its options before starting', () => {
    expect(() => lib.parseInWorker(GREENHOUSE, { format: 'csv' })).toThrow(/needs --columns/)
    expect(() => lib.parseInWorker(GREENHOUSE, { columns: 'ts:nope' })).toThrow()
    expect(() => lib.parseInWorker(GREENHOUSE, { columns: COLUMNS }, { window: 0 })).toThrow(/window/)
  })

  it('stops the worker when the consumer breaks out, and after an abort ends normally', async () => {
    const big = join(tmp.path, 'big.csv')
    const line = '1700000000000,dev-01,21.5,60\n'
    await writeFile(big, line.repeat(200_000))
    let batches = 0
    for await (const batch of lib.parseInWorker(big, { columns: COLUMNS }, { chunkBytes: 4096 })) {
      expect(batch.length).toBeGreaterThan(0)
      if (++batches === 3) break
    }
    expect(batches).toBe(3)
    const ac = new AbortController()
    const parsed = lib.parseInWorker(big, { columns: COLUMNS }, { chunkBytes: 4096, signal: ac.signal })
    let rows = 0
    for await (const batch of parsed) {
      rows += batch.length
      ac.abort()
    }
    expect(rows).toBeGreaterThan(0)
    expect(rows).toBeLessThan(200_000)
    // The counters are those of the batches passed on.
    expect(parsed.stats.parser.parsed).toBe(rows)
  })
})

describe('run --threads', () => {
  it('writes the same output, summary and dead-letter file with 1 and 2 threads', async () => {
    const out: string[] = []
    for (const threads of ['1', '2']) {
      const dead = join(tmp.path, `dead-${threads}.jsonl`)
      const r = await runCli(['run', '--file', GREENHOUSE, ...GREENHOUSE_FLAGS, '--threads', threads, '--on-error', `dead-letter:${dead}`])
      expect(r.code, r.stderr).toBe(0)
      out.push(r.stdout, r.stderr, await readFile(dead, 'utf8'))
    }
    expect(out[0]!.split('\n').length).toBeGreaterThan(100)
    expect(out[3]).toBe(out[0])
    expect(out[4]).toBe(out[1])
    expect(out[5]).toBe(out[2])
  })

  it('rejects --threads 2 where no worker can read the input, and a bad count', async () => {
    for (const args of [['--threads', '2'], ['--file', GREENHOUSE, '--follow', '--threads', '2'], ['--file', GREENHOUSE, '--threads', '3']]) {
      const r = await runCli(['run', '--columns', COLUMNS, ...args], { input: '' })
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/--threads/)
      expect(r.stderr).not.toContain('    at ')
    }
  })

  it('--on-error fail stops at the same line with 1 and 2 threads', async () => {
    const rs = []
    for (const threads of ['1', '2']) rs.push(await runCli(['run', '--file', GREENHOUSE, ...GREENHOUSE_FLAGS, '--threads', threads, '--on-error', 'fail']))
    expect(rs[0]!.code).toBe(1)
    expect(rs[1]!.code).toBe(1)
    expect(rs[1]!.stderr).toBe(rs[0]!.stderr)
  })
})
