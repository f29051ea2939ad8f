import { ReadlineParser } from '@serialport/parser-readline'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineBatch, lines, type Rejection } from '../../src/index.js'
import { chunksOf, collect, cutAt, fromItems, linesOf, referenceLines, stageContract } from '../helpers.js'

const BOM = [0xef, 0xbb, 0xbf]
const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/** Frames bytes through lines() in the given chunks; returns the strings and the stage. */
async function frame (chunks: Array<Uint8Array | string>, options: Parameters<typeof lines>[0] = {}): Promise<{ out: string[], batches: LineBatch[], stage: ReturnType<typeof lines> }> {
  const stage = lines(options)
  const batches = await collect(stage(fromItems(chunks.map(c => typeof c === 'string' ? Buffer.from(c, 'utf8') : c))))
  return { out: linesOf(batches), batches, stage }
}

// The reference framing (referenceLines, test/helpers.ts) is written from the rules; each line
// is then decoded as UTF-8 with U+FFFD for invalid sequences.
const referenceText = (bytes: Uint8Array): string[] => referenceLines(bytes).map(l => decoder.decode(l))

describe('lines(): values', () => {
  it('splits LF-terminated lines', async () => {
    expect((await frame(['a\nbc\n'])).out).toEqual(['a', 'bc'])
  })

  it('removes the CR of CRLF line endings', async () => {
    expect((await frame(['a\r\nbc\r\n'])).out).toEqual(['a', 'bc'])
  })

  it('keeps a lone CR as data', async () => {
    expect((await frame(['a\rb\n\rc\n'])).out).toEqual(['a\rb', '\rc'])
  })

  it('removes only one CR before the LF', async () => {
    expect((await frame(['a\r\r\n'])).out).toEqual(['a\r'])
  })

  it('keeps a final line without LF', async () => {
    expect((await frame(['a\nlast'])).out).toEqual(['a', 'last'])
  })

  it('removes a CR at the very end of the last line', async () => {
    expect((await frame(['a\nlast\r'])).out).toEqual(['a', 'last'])
    expect((await frame(['\r'])).out).toEqual([''])
  })

  it('keeps empty lines as empty strings', async () => {
    expect((await frame(['\n\nx\n\n'])).out).toEqual(['', '', 'x', ''])
    expect((await frame(['\r\n'])).out).toEqual([''])
  })

  it('gives nothing for an empty source, or only empty chunks', async () => {
    const { out, batches, stage } = await frame([])
    expect(out).toEqual([])
    expect(batches).toEqual([])
    expect(stage.stats).toEqual({ lines: 0, tooLong: 0 })
    expect((await frame([Buffer.alloc(0), Buffer.alloc(0)])).out).toEqual([])
  })

  it('yields one batch per chunk that completes a line, numbered from 1', async () => {
    const { batches } = await frame(['a\nb', 'c\nd\ne', '', 'f'])
    expect(batches.map(b => b.toArray())).toEqual([['a'], ['bc', 'd'], ['ef']])
    expect(batches.map(b => [...b].map((_, i) => b.lineNumber(i)))).toEqual([[1], [2, 3], [4]])
    expect(batches[1]!.at(1)).toBe('d')
    expect([...batches[1]!]).toEqual(['bc', 'd'])
  })

  it('counts every line in stats.lines', async () => {
    const { stage } = await frame(['a\n\nb\r\nc'])
    expect(stage.stats).toEqual({ lines: 4, tooLong: 0 })
  })

  it('accepts Uint8Array chunks as well as Buffers', async () => {
    expect((await frame([new Uint8Array([0x61, 0x0a, 0x62])])).out).toEqual(['a', 'b'])
  })

  it('rejects a chunk that is not bytes with a TypeError', async () => {
    const stage = lines()
    await expect(collect(stage(fromItems(['a\n' as unknown as Uint8Array])))).rejects.toThrow(TypeError)
  })
})

describe('lines(): BOM', () => {
  it('skips a UTF-8 BOM at the very start', async () => {
    expect((await frame([Buffer.from([...BOM, 0x61, 0x0a, 0x62])])).out).toEqual(['a', 'b'])
  })

  it('skips a BOM split across the first chunks', async () => {
    expect((await frame([Buffer.from([0xef]), Buffer.from([0xbb, 0xbf, 0x61, 0x0a])])).out).toEqual(['a'])
    expect((await frame([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), Buffer.from('a\n')])).out).toEqual(['a'])
    expect((await frame([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf]), Buffer.from('a')])).out).toEqual(['a'])
    expect((await frame([Buffer.alloc(0), Buffer.from([0xef]), Buffer.alloc(0), Buffer.from([0xbb, 0xbf, 0x61])])).out).toEqual(['a'])
  })

  it('gives no line for an input that is only a BOM', async () => {
    const { out, stage } = await frame([Buffer.from(BOM)])
    expect(out).toEqual([])
    expect(stage.stats.lines).toBe(0)
  })

  it('gives one empty line for a BOM and LF', async () => {
    expect((await frame([Buffer.from([...BOM, 0x0a])])).out).toEqual([''])
  })

  it('treats a cut BOM (EF BB alone) as one line of data', async () => {
    const { out, stage } = await frame([Buffer.from([0xef, 0xbb])])
    expect(out).toEqual(['\uFFFD'])
    expect(stage.stats.lines).toBe(1)
    expect((await frame([Buffer.from([0xef]), Buffer.from([0xbb])])).out).toEqual(['\uFFFD'])
    expect((await frame([Buffer.from([0xef, 0xbb]), Buffer.from('x\n')])).out).toEqual(['\uFFFDx'])
  })

  it('keeps a BOM anywhere else as data (U+FEFF)', async () => {
    expect((await frame([Buffer.from([0x61, 0x0a, ...BOM, 0x62, 0x0a])])).out).toEqual(['a', '\uFEFFb'])
    expect((await frame([Buffer.from([...BOM, ...BOM, 0x78])])).out).toEqual(['\uFEFFx'])
    expect((await frame([Buffer.from('a'), Buffer.from(BOM), Buffer.from('\n')])).out).toEqual(['a\uFEFF'])
  })
})

describe('lines(): UTF-8 decoding', () => {
  const text = 'é€😀x\n' // 2 + 3 + 4 + 1 + 1 bytes

  it('decodes a multi-byte character split across chunks at every pair of byte offsets', async () => {
    const bytes = Buffer.from(text, 'utf8')
    expect(bytes.length).toBe(11)
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const { out } = await frame(cutAt(bytes, [i, j]))
        expect(out, `cuts at ${i}, ${j}`).toEqual(['é€😀x'])
      }
    }
  })

  it('decodes a line split into one-byte chunks', async () => {
    expect((await frame(chunksOf('ab€\nç😀\n', [1]))).out).toEqual(['ab€', 'ç😀'])
  })

  it('turns each invalid sequence into U+FFFD', async () => {
    expect((await frame([Buffer.from([0x61, 0xff, 0x62, 0x0a])])).out).toEqual(['a\uFFFDb'])
    // a cut 3-byte sequence is one maximal subpart: one U+FFFD
    expect((await frame([Buffer.from([0xe2, 0x82, 0x0a, 0x63])])).out).toEqual(['\uFFFD', 'c'])
    // an encoded surrogate is three invalid bytes
    expect((await frame([Buffer.from([0xed, 0xa0, 0x80, 0x0a])])).out).toEqual(['\uFFFD\uFFFD\uFFFD'])
    // an overlong encoding of '/'
    expect((await frame([Buffer.from([0xc0, 0xaf, 0x0a])])).out).toEqual(['\uFFFD\uFFFD'])
  })

  it('turns a UTF-8 sequence cut by the end of input into U+FFFD', async () => {
    expect((await frame([Buffer.from([0x78, 0xe2])])).out).toEqual(['x\uFFFD'])
    expect((await frame([Buffer.from([0x78]), Buffer.from([0xf0, 0x9f, 0x98])])).out).toEqual(['x\uFFFD'])
  })

  it('frames random bytes in random chunks exactly like the reference (property)', async () => {
    const piece = fc.oneof(
      fc.constantFrom('\n', '\r', '\r\n', '\uFEFF', 'é', '€', '😀', ',', 'a', ''),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.uint8Array({ maxLength: 6 }).map(b => Buffer.from(b).toString('latin1')) // as bytes, below
    )
    const input = fc.tuple(
      fc.boolean(),
      fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 30 })
    ).map(([bom, parts]) => {
      const bufs = parts.map(([p, raw]) => raw ? Buffer.from(p, 'latin1') : Buffer.from(p, 'utf8'))
      return Buffer.concat([bom ? Buffer.from(BOM) : Buffer.alloc(0), ...bufs])
    })
    await fc.assert(fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 12 }), async (bytes, cutSeeds) => {
      const cuts = cutSeeds.map(c => c % (bytes.length + 1))
      const { out, stage } = await frame(cutAt(bytes, cuts))
      const expected = referenceText(bytes)
      expect(out).toEqual(expected)
      expect(stage.stats).toEqual({ lines: expected.length, tooLong: 0 })
    }), { numRuns: 300 })
  })

  it('frames random text like text.split(\'\\n\') (property)', async () => {
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r')), { maxLength: 25 }).map(a => a.join(''))
    await fc.assert(fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 10 }), async (s, cutSeeds) => {
      const bytes = Buffer.from(s, 'utf8')
      const { out } = await frame(cutAt(bytes, cutSeeds.map(c => c % (bytes.length + 1))))
      let parts = s.startsWith('\uFEFF') ? s.slice(1).split('\n') : s.split('\n')
      if (parts[parts.length - 1] === '') parts = parts.slice(0, -1)
      expect(out).toEqual(parts.map(p => p.endsWith('\r') ? p.slice(0, -1) : p))
    }), { numRuns: 200 })
  })

  it('agrees with @serialport/parser-readline on inputs without empty lines or CR (property)', async () => {
    const line = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter(l => !/[\r\n]/.test(l) && !l.startsWith('\uFEFF'))
    await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 15 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), async (ls, trailingLf, cutSeeds) => {
      const bytes = Buffer.from(ls.join('\n') + (trailingLf ? '\n' : ''), 'utf8')
      const chunks = cutAt(bytes, cutSeeds.map(c => c % (bytes.length + 1)))
      const parser = new ReadlineParser({ delimiter: '\n' })
      const theirs: string[] = []
      parser.on('data', (s: string) => theirs.push(s))
      const ended = new Promise<void>(resolve => parser.on('end', () => resolve()))
      for (const c of chunks) parser.write(c)
      parser.end()
      await ended
      const { out } = await frame(chunks)
      expect(out).toEqual(theirs)
      expect(out).toEqual(ls)
    }), { numRuns: 150 })
  })
})

describe('lines(): maxLineBytes', () => {
  it('keeps a line of exactly maxLineBytes and drops one a byte longer', async () => {
    const errors: Rejection[] = []
    const { out, batches, stage } = await frame(['abcd\nabcde\nxy\n'], { maxLineBytes: 4, onError: r => errors.push(r) })
    expect(out).toEqual(['abcd', 'xy'])
    expect(stage.stats).toEqual({ lines: 3, tooLong: 1 })
    expect(errors).toEqual([{ stage: 'lines', reason: 'too-long', detail: expect.stringContaining('maxLineBytes (4)'), line: 2, raw: expect.stringMatching(/^abcde/) }])
    const numbers = batches.flatMap(b => [...b].map((_, i) => b.lineNumber(i)))
    expect(numbers).toEqual([1, 3])
  })

  // Regression test, the bug is fixed (was: src/framing/lines.ts, split(): tooLong(text.slice(pos, pos + SNIPPET))): in an ASCII
  // chunk the report takes 256 chars from the line's start, running on into the next lines.
  it('the raw text of a line dropped inside a chunk is that line only, not the lines after it', async () => {
    const errors: Rejection[] = []
    await frame(['abcd\nabcde\nxy\n'], { maxLineBytes: 4, onError: r => errors.push(r) })
    expect(errors.map(e => e.raw)).toEqual(['abcde'])
  })

  it('does not count the CR of CRLF against the limit', async () => {
    expect((await frame(['abcd\r\nab\r\n'], { maxLineBytes: 4 })).out).toEqual(['abcd', 'ab'])
    expect((await frame(['ab', 'cd\r', '\n'], { maxLineBytes: 4 })).out).toEqual(['abcd'])
    expect((await frame(['abcd\r'], { maxLineBytes: 4 })).out).toEqual(['abcd'])
  })

  it('counts bytes, not characters', async () => {
    // 'éé' is 4 bytes, 'ééa' 5, '€€' 6
    const { out, stage } = await frame(['éé\nééa\n€€\nok\n'], { maxLineBytes: 4 })
    expect(out).toEqual(['éé', 'ok'])
    expect(stage.stats).toEqual({ lines: 4, tooLong: 2 })
    const five = await frame(['€€\n€a\n'], { maxLineBytes: 5 })
    expect(five.out).toEqual(['€a'])
  })

  it('applies the limit wherever the chunk boundaries fall', async () => {
    const bytes = Buffer.from('éé\nééa\nabcd\nabcde\n€\n', 'utf8')
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 3) {
        const errors: Rejection[] = []
        const { out, batches, stage } = await frame(cutAt(bytes, [i, j]), { maxLineBytes: 4, onError: r => errors.push(r) })
        expect(out, `cuts ${i},${j}`).toEqual(['éé', 'abcd', '€'])
        expect(batches.flatMap(b => [...b].map((_, k) => b.lineNumber(k))), `cuts ${i},${j}`).toEqual([1, 3, 5])
        expect(errors.map(e => e.line)).toEqual([2, 4])
        expect(stage.stats).toEqual({ lines: 5, tooLong: 2 })
      }
    }
  })

  it('drops an over-long line spread over many chunks, and numbers the lines after it', async () => {
    const errors: Rejection[] = []
    const chunks = ['ok\nab', 'cd', 'ef', 'gh', 'ij', '\nnext\n', 'last']
    const { out, batches, stage } = await frame(chunks, { maxLineBytes: 4, onError: r => errors.push(r) })
    expect(out).toEqual(['ok', 'next', 'last'])
    expect(batches.flatMap(b => [...b].map((_, i) => b.lineNumber(i)))).toEqual([1, 3, 4])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ stage: 'lines', reason: 'too-long', line: 2 })
    expect(errors[0]!.raw.startsWith('abcde')).toBe(true)
    expect(stage.stats).toEqual({ lines: 4, tooLong: 1 })
  })

  // Regression test, the bug is fixed (was: src/framing/lines.ts, pushCarry(): discardHead is cut when the limit is first passed and
  // never extended): LinesOptions.onError promises the dropped line's first 256 bytes.
  it('a line dropped across chunks is reported with its first 256 bytes, not only the bytes seen before the limit was passed', async () => {
    const errors: Rejection[] = []
    await frame(['ok\nab', 'cd', 'ef', 'gh', 'ij', '\nnext\n'], { maxLineBytes: 4, onError: r => errors.push(r) })
    expect(errors.map(e => e.raw)).toEqual(['abcdefghij'])
  })

  it('drops an over-long last line without LF', async () => {
    const errors: Rejection[] = []
    const { out, stage } = await frame(['a\nbcdef'], { maxLineBytes: 4, onError: r => errors.push(r) })
    expect(out).toEqual(['a'])
    expect(stage.stats).toEqual({ lines: 2, tooLong: 1 })
    expect(errors[0]).toMatchObject({ line: 2, raw: 'bcdef' })
  })

  it('reports only the first 256 bytes of a dropped line', async () => {
    const errors: Rejection[] = []
    const long = 'x'.repeat(300) + 'y'.repeat(300)
    await frame([long + '\n' + 'z\n'], { maxLineBytes: 10, onError: r => errors.push(r) })
    await frame(['a\n' + long, '\nz\n'], { maxLineBytes: 10, onError: r => errors.push(r) })
    await frame([long], { maxLineBytes: 10, onError: r => errors.push(r) })
    expect(errors.map(e => e.raw)).toEqual(['x'.repeat(256), 'x'.repeat(256), 'x'.repeat(256)])
    for (const e of errors) expect(Buffer.byteLength(e.raw)).toBeLessThanOrEqual(256)
  })

  it('a long line arriving in small chunks is reported with its first 256 bytes', async () => {
    const errors: Rejection[] = []
    const long = 'x'.repeat(300) + 'y'.repeat(300)
    await frame(chunksOf(long + '\nz\n', [7]), { maxLineBytes: 10, onError: r => errors.push(r) })
    expect(errors.map(e => e.raw)).toEqual(['x'.repeat(256)])
  })

  it('numbers lines after dropped ones correctly in random inputs (property)', async () => {
    const line = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('€€€', 'ééé', 'a\r'))
    await fc.assert(fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(), { maxLength: 8 }), async (ls, max, cutSeeds) => {
      const safe = ls.map(l => l.replace(/\n/g, ''))
      const bytes = Buffer.from(safe.map(l => l + '\n').join(''), 'utf8')
      const errors: Rejection[] = []
      const { batches, stage } = await frame(cutAt(bytes, cutSeeds.map(c => c % (bytes.length + 1))), { maxLineBytes: max, onError: r => errors.push(r) })
      const ref = referenceLines(bytes).map((b, i) => ({ text: decoder.decode(b), n: i + 1, keep: b.length <= max }))
      const got = batches.flatMap(b => [...b].map((text, i) => ({ text, n: b.lineNumber(i) })))
      expect(got).toEqual(ref.filter(r => r.keep).map(({ text, n }) => ({ text, n })))
      expect(errors.map(e => e.line)).toEqual(ref.filter(r => !r.keep).map(r => r.n))
      expect(stage.stats).toEqual({ lines: ref.length, tooLong: ref.filter(r => !r.keep).length })
    }), { numRuns: 200 })
  })

  it('keeps memory bounded on a 200 MB input without any newline', async () => {
    const gc = globalThis.gc
    const heap = (): number => { gc?.(); return process.memoryUsage().heapUsed }
    const start = heap()
    let peak = 0
    const MiB = 1 << 20
    async function * noNewline (): AsyncGenerator<Buffer> {
      for (let i = 0; i < 200; i++) {
        if (i % 20 === 0) peak = Math.max(peak, heap() - start)
        yield Buffer.alloc(MiB, 0x61)
      }
    }
    const errors: Rejection[] = []
    const stage = lines({ onError: r => errors.push(r) })
    const batches = await collect(stage(noNewline()))
    peak = Math.max(peak, heap() - start)
    expect(batches).toEqual([])
    expect(stage.stats).toEqual({ lines: 1, tooLong: 1 })
    expect(errors).toHaveLength(1)
    expect(errors[0]!.raw).toBe('a'.repeat(256))
    expect(peak).toBeLessThan(32 * MiB)
  })
})

describe('lines(): options', () => {
  it('throws a TypeError naming maxLineBytes for a bad limit, before pulling', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, '10']) {
      expect(() => lines({ maxLineBytes: bad as number })).toThrow(TypeError)
      expect(() => lines({ maxLineBytes: bad as number })).toThrow(/"maxLineBytes"/)
    }
  })

  it('throws a TypeError naming onError when it is not a function', () => {
    expect(() => lines({ onError: 'skip' as unknown as () => void })).toThrow(/"onError"/)
  })

  it('an onError callback that throws rejects next() and the source is closed', async () => {
    let closed = false
    async function * src (): AsyncGenerator<Buffer> {
      try { yield Buffer.from('ok\ntoo long line\n'); yield Buffer.from('never\n') } finally { closed = true }
    }
    const boom = new Error('handler failed')
    const stage = lines({ maxLineBytes: 4, onError: () => { throw boom } })
    await expect(collect(stage(src()))).rejects.toBe(boom)
    expect(closed).toBe(true)
  })
})

describe('lines(): stage contract', () => {
  stageContract(() => lines(), i => Buffer.from(`line ${i}\n`))
})
