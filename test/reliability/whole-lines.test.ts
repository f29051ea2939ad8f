// wholeLines(): a followed file's bytes passed on in whole lines, so that the line a truncation
// cuts can be dropped instead of glued to the next one.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lines, pipe, wholeLines } from '../../src/index.js'
import { collect, cutAt, fromItems, linesOf, stageContract } from '../helpers.js'

const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString()

describe('wholeLines()', () => {
  it('passes every byte on, in order, each chunk ending at an LF except the last', async () => {
    const out = await collect(wholeLines(fromItems(['ab\ncd', 'ef\ng', 'h', '\n', 'tail'].map(s => Buffer.from(s))), 100))
    expect(text(out)).toBe('ab\ncdef\ngh\ntail')
    expect(out.map(String)).toEqual(['ab\n', 'cd', 'ef\n', 'g', 'h', '\n', 'tail'])
  })

  it('cut() drops the unfinished line held back and says how long it was; 0 when none', async () => {
    let src: ReturnType<typeof wholeLines> | undefined
    let dropped = -1
    async function * input (): AsyncGenerator<Buffer> {
      yield Buffer.from('1\n2\n3,unfin')
      yield Buffer.from('ished')
      dropped = src!.cut() // as onTruncate does, while the next chunk is being read
      yield Buffer.from('new\n')
      expect(src!.cut()).toBe(0)
    }
    src = wholeLines(input(), 100)
    const got = linesOf(await collect(pipe(src, lines())))
    expect(got).toEqual(['1', '2', 'new'])
    expect(dropped).toBe('3,unfinished'.length)
  })

  it('passes on a line longer than the limit instead of holding it, so the framer drops it as too long', async () => {
    const framer = lines({ maxLineBytes: 8 })
    const got = linesOf(await collect(pipe(wholeLines(fromItems(['ok\n', 'x'.repeat(6), 'x'.repeat(6), 'x'.repeat(6), '\nend\n'].map(s => Buffer.from(s))), 10), framer)))
    expect(got).toEqual(['ok', 'end'])
    expect(framer.stats.tooLong).toBe(1)
  })

  it('frames exactly like the source alone, at any chunk boundaries (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: fc.constantFrom('a', '\n', '\r', 'é'), maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), async (s, cuts) => {
      const bytes = Buffer.from(s)
      const chunks = cutAt(bytes, cuts.map(c => c % (bytes.length + 1)))
      expect(linesOf(await collect(pipe(wholeLines(fromItems(chunks), 16), lines())))).toEqual(linesOf(await collect(pipe(fromItems(chunks), lines()))))
    }), { numRuns: 200 })
  })

  it('throws a TypeError naming limit', () => {
    expect(() => wholeLines(fromItems([]), 0)).toThrow(/"limit"/)
  })
})

describe('wholeLines(): stage contract', () => {
  stageContract(() => (src: AsyncIterable<Buffer>) => wholeLines(src, 100), i => Buffer.from(`line ${i}\n`))
})
