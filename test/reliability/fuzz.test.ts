// Property-based tests (fast-check) on the framer and every parser: random bytes, biased towards
// what breaks parsers (delimiters, quotes, braces, CR, LF, BOM, NUL, invalid UTF-8, number
// spellings), cut at random chunk boundaries. Nothing throws, and every line is accounted for:
// lines read = parsed + rejected (by reason) (+ the lines that continue a multi-line CSV record),
// and every rejected line reaches the handler with its original bytes.
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lines, parseCsv, parseJson, parseKeyValue, pipe, type Rejection, type RejectionHandler, runPipeline } from '../../src/index.js'
import { cutAt, fromItems, referenceLines, tempDir } from '../helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { tmp = await tempDir() })
afterAll(async () => { await tmp.remove() })


/** Input bytes: random pieces, some of them the tokens the parsers split and convert on. */
const bytesArb = fc.array(fc.oneof(
  fc.constantFrom('\n', '\r', '\r\n', ',', ';', '"', '""', '=', ':', ' ', '\t', '{', '}', '[', ']', '{"a":', '1', '-', '.', 'e', '1e999', 'NaN', '\u0000', '\uFEFF', 'é', '😀', 'true', '1700000000000'),
  fc.uint8Array({ maxLength: 8 }).map(b => Buffer.from(b).toString('latin1')), // any bytes, below
  fc.string({ maxLength: 6 })
).chain(p => fc.boolean().map(raw => raw ? Buffer.from(p, 'latin1') : Buffer.from(p, 'utf8'))), { maxLength: 60 })
  .map(parts => Buffer.concat(parts))

const cutsArb = fc.array(fc.nat(), { maxLength: 10 })


interface Seen { r: Rejection, bytes: Buffer }

const PARSERS = {
  'parseCsv (typed)': (onError: RejectionHandler) => parseCsv({ columns: 'ts:time,sensor:string,value:float', onError }),
  'parseCsv (header, ;)': (onError: RejectionHandler) => parseCsv({ header: true, delimiter: ';', onError }),
  'parseCsv (quotedNewlines)': (onError: RejectionHandler) => parseCsv({ columns: 'a:string,b:float?', quotedNewlines: true, maxRecordBytes: 40, onError }),
  'parseJson': (onError: RejectionHandler) => parseJson({ onError, maxDepth: 3 }),
  'parseKeyValue': (onError: RejectionHandler) => parseKeyValue({ onError }),
  'parseKeyValue (typed)': (onError: RejectionHandler) => parseKeyValue({ columns: 'v:float,t:time?', onError })
}

describe('fuzzing the framer', () => {
  it('never throws; lines = kept + too-long; each dropped line reaches the handler with its first 256 bytes (property)', async () => {
    await fc.assert(fc.asyncProperty(bytesArb, cutsArb, fc.integer({ min: 1, max: 24 }), async (bytes, cuts, max) => {
      const seen: Seen[] = []
      const framer = lines({ maxLineBytes: max, onError: (r, b) => seen.push({ r, bytes: Buffer.from(b!) }) })
      let kept = 0
      for await (const batch of framer(fromItems(cutAt(bytes, cuts.map(c => c % (bytes.length + 1)))))) {
        for (let i = 0; i < batch.length; i++) {
          const ref = referenceLines(bytes)[batch.lineNumber(i) - 1]!
          expect(Buffer.from(batch.units.subarray(batch.start(i), batch.end(i))).equals(ref)).toBe(true)
          kept++
        }
      }
      const ref = referenceLines(bytes)
      expect(framer.stats.lines).toBe(ref.length)
      expect(framer.stats.lines).toBe(kept + framer.stats.tooLong)
      expect(seen).toHaveLength(framer.stats.tooLong)
      for (const s of seen) expect(s.bytes.equals(ref[s.r.line - 1]!.subarray(0, 256))).toBe(true)
    }), { numRuns: 400 })
  })
})

describe('fuzzing every parser behind the framer', () => {
  for (const [name, make] of Object.entries(PARSERS)) {
    it(`${name}: never throws; lines = parsed + malformed (by reason); rejections carry the line's bytes (property)`, async () => {
      await fc.assert(fc.asyncProperty(bytesArb, cutsArb, async (bytes, cuts) => {
        const seen: Seen[] = []
        const framer = lines({ maxLineBytes: 64 })
        const parser = make((r, b) => seen.push({ r, bytes: Buffer.from(b!) }))
        let records = 0
        for await (const batch of pipe(fromItems(cutAt(bytes, cuts.map(c => c % (bytes.length + 1)))), framer, parser)) {
          records += batch.length
          // Every record a parser yields can be written out (nothing non-finite, nothing too deep).
          for (const rec of batch) expect(() => JSON.stringify(rec)).not.toThrow()
        }
        const s = parser.stats
        const multiline = (parser as { multiline?: { lines: number } }).multiline?.lines ?? 0
        const header = name.includes('header') && s.lines > 0 && s.reasons['bad-header'] === undefined ? 1 : 0
        expect(records).toBe(s.parsed)
        expect(s.lines).toBe(s.parsed + s.malformed + header)
        expect(Object.values(s.reasons).reduce((a, b) => a + b, 0)).toBe(s.malformed)
        expect(framer.stats.lines - framer.stats.tooLong).toBe(s.lines + multiline)
        expect(seen).toHaveLength(s.malformed)
        const ref = referenceLines(bytes)
        for (const { r, bytes: got } of seen) {
          // A multi-line CSV record: its lines joined with LF.
          const n = got.reduce((k, c) => k + (c === 0x0a ? 1 : 0), 0)
          expect(got.equals(Buffer.concat(ref.slice(r.line - 1, r.line + n).flatMap((l, i) => i === 0 ? [l] : [Buffer.from('\n'), l]))), `${r.reason} at line ${r.line}`).toBe(true)
        }
      }), { numRuns: 250 })
    })
  }
})

describe('fuzzing the whole run (runPipeline, stdin to a dead-letter file)', () => {
  it('the summary accounts for every line, and the dead-letter file holds one line per malformed one (property)', async () => {
    let k = 0
    await fc.assert(fc.asyncProperty(bytesArb, fc.constantFrom('csv', 'json', 'kv'), fc.boolean(), async (bytes, format, quotedNewlines) => {
      const dead = tmp.file(`dead-${k++}.jsonl`)
      const out: Buffer[] = []
      const stdout = new (await import('node:stream')).Writable({ write (c: Buffer, _e, cb) { out.push(c); cb() } })
      const summary = await runPipeline({
        format,
        columns: format === 'json' ? undefined : format === 'csv' ? 'ts:time,sensor:string,value:float' : 'value:float?',
        quotedNewlines: format === 'csv' ? quotedNewlines : undefined,
        maxLineBytes: 48,
        onError: `dead-letter:${dead}`
      }, { stdin: Readable.from([bytes]), stdout })
      expect(summary.lines).toBe(summary.malformed + summary.emitted + (summary.multiline?.lines ?? 0))
      const written = (await readFile(dead, 'utf8')).split('\n').filter(l => l !== '')
      expect(written).toHaveLength(summary.malformed)
      expect(summary.deadLettered).toBe(summary.malformed)
      for (const l of written) expect(() => JSON.parse(l) as unknown).not.toThrow()
      expect(Buffer.concat(out).toString('utf8').split('\n').filter(l => l !== '')).toHaveLength(summary.emitted)
    }), { numRuns: 120 })
  })
})
