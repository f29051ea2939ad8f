// The dead-letter output: each rejected line as a JSON line with its line number, reason and raw
// bytes (base64 when they are not valid UTF-8), enough to inspect it and to replay it exactly.
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deadLetter, deadLetterLine, lines, parseCsv, parseJson, parseKeyValue, pipe, type Rejection, type RejectionHandler, SinkError } from '../../src/index.js'
import { collect, fromItems, tempDir } from '../helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { tmp = await tempDir() })
afterAll(async () => { await tmp.remove() })

const REJ: Rejection = { stage: 'parseCsv', reason: 'bad-float', detail: 'column "value": "x" is not a valid float', line: 7, raw: '1,a,x' }

/** The input line a dead-letter record stands for, as its bytes. */
function replay (record: { raw: string, rawBase64?: string }): Buffer {
  return record.rawBase64 !== undefined ? Buffer.from(record.rawBase64, 'base64') : Buffer.from(record.raw, 'utf8')
}

describe('deadLetterLine()', () => {
  it('writes the rejection as one JSON line, in the --errors format, with no base64 for valid UTF-8', () => {
    expect(deadLetterLine(REJ, Buffer.from('1,a,x'))).toBe(JSON.stringify(REJ) + '\n')
    expect(deadLetterLine(REJ)).toBe(JSON.stringify(REJ) + '\n')
  })

  it('adds the original bytes in base64 when they are not valid UTF-8', () => {
    const bytes = Buffer.from([0x31, 0x2c, 0xff, 0xfe, 0x2c, 0x00])
    const line = deadLetterLine({ ...REJ, raw: bytes.toString('utf8') }, bytes)
    const record = JSON.parse(line) as { raw: string, rawBase64: string }
    expect(record.rawBase64).toBe(bytes.toString('base64'))
    expect(replay(record).equals(bytes)).toBe(true)
  })

  it('keeps NUL, lone CR, controls and U+2028 exactly in raw (valid UTF-8, escaped by JSON)', () => {
    const text = 'a\u0000b\rc\u001f\u2028d\uFEFF'
    const record = JSON.parse(deadLetterLine({ ...REJ, raw: text }, Buffer.from(text, 'utf8'))) as { raw: string, rawBase64?: string }
    expect(record.rawBase64).toBeUndefined()
    expect(replay(record).equals(Buffer.from(text, 'utf8'))).toBe(true)
  })

  it('marks a too-long line cut to its first 256 bytes as truncated, and one kept whole as not', () => {
    const head = Buffer.alloc(256, 'x')
    expect(JSON.parse(deadLetterLine({ ...REJ, stage: 'lines', reason: 'too-long', raw: head.toString() }, head))).toMatchObject({ truncated: true })
    expect(JSON.parse(deadLetterLine({ ...REJ, stage: 'lines', reason: 'too-long', raw: 'xyz' }, Buffer.from('xyz')))).not.toHaveProperty('truncated')
  })
})

describe('deadLetter(path)', () => {
  it('appends one line per rejection, synchronously, and counts them', async () => {
    const path = tmp.file('dead.jsonl')
    const dead = deadLetter(path)
    dead.handler(REJ, Buffer.from('1,a,x'))
    expect(await readFile(path, 'utf8')).toBe(JSON.stringify(REJ) + '\n') // on disk before close
    dead.handler({ ...REJ, line: 8 })
    dead.close()
    dead.close() // idempotent
    expect(dead.stats.written).toBe(2)
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(3)
  })

  it('throws SinkError ERR_SINK_OPEN at once when the file cannot be opened', () => {
    expect(() => deadLetter(tmp.file('no/such/dir/dead.jsonl'))).toThrow(expect.objectContaining({ code: 'ERR_SINK_OPEN', message: expect.stringMatching(/no such directory/) }))
    expect(() => deadLetter(tmp.path)).toThrow(SinkError)
  })

  it('throws SinkError ERR_SINK_WRITE from the handler when the disk is full (/dev/full)', () => {
    const dead = deadLetter('/dev/full')
    try {
      expect(() => dead.handler(REJ)).toThrow(expect.objectContaining({ code: 'ERR_SINK_WRITE', message: 'cannot write /dev/full: no space left on device' }))
    } finally { dead.close() }
  })

  it('throws a TypeError for a path that is not a non-empty string', () => {
    expect(() => deadLetter('')).toThrow(TypeError)
  })
})

describe('the stages hand each rejected line\'s original bytes to the handler', () => {
  // Lines with invalid UTF-8, NUL, a lone CR, a BOM in the middle; each rejected by every parser.
  const LINES = [Buffer.from('ok\xff\xfe,\x00', 'latin1'), Buffer.from('a\rb'), Buffer.from('\uFEFFx'), Buffer.from([0xc0, 0xaf, 0x00])]
  const input = Buffer.concat(LINES.flatMap(l => [l, Buffer.from('\r\n')]))

  const parsers = {
    parseCsv: (onError: RejectionHandler) => parseCsv({ columns: 'ts:time,v:float', onError }),
    parseJson: (onError: RejectionHandler) => parseJson({ onError }),
    parseKeyValue: (onError: RejectionHandler) => parseKeyValue({ onError })
  }
  for (const [name, make] of Object.entries(parsers)) {
    it(`${name}: the bytes replay to the input line exactly (line ending excluded)`, async () => {
      const got: Array<{ line: number, bytes: Buffer }> = []
      const parser = make((r, bytes) => { got.push({ line: r.line, bytes: Buffer.from(bytes!) }) })
      await collect(pipe(fromItems([input.subarray(0, 5), input.subarray(5)]), lines(), parser))
      expect(got.map(g => g.line)).toEqual([1, 2, 3, 4])
      for (const g of got) {
        expect(g.bytes.equals(LINES[g.line - 1]!), `line ${g.line}`).toBe(true)
        const record = JSON.parse(deadLetterLine({ ...REJ, line: g.line, raw: g.bytes.toString('utf8') }, g.bytes)) as { raw: string, rawBase64?: string }
        expect(replay(record).equals(LINES[g.line - 1]!), `replayed line ${g.line}`).toBe(true)
      }
    })
  }

  it('lines: a too-long line\'s first 256 bytes, as they were', async () => {
    const long = Buffer.concat([Buffer.from([0xff, 0x00, 0x0d]), Buffer.alloc(400, 'y')])
    const got: Buffer[] = []
    const framer = lines({ maxLineBytes: 100, onError: (_r, bytes) => { got.push(Buffer.from(bytes!)) } })
    await collect(framer(fromItems([long.subarray(0, 50), long.subarray(50), Buffer.from('\nok\n')])))
    expect(got).toHaveLength(1)
    expect(got[0]!.equals(long.subarray(0, 256))).toBe(true)
  })
})
