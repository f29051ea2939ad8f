// `--on-error skip|fail|dead-letter:FILE` (and `--errors FILE`, its other name) on the command
// line, for the framer and every parser.
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, jsonLines, runCli, STACK_FRAME, stderrLines, tempDir } from '../cli/helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

const COLUMNS = ['--columns', 'ts:time,sensor:string,value:float']
// Line 2 is too long for --max-line-bytes 40, line 3 is not valid UTF-8, line 5 has a NUL.
const CSV = Buffer.concat([
  Buffer.from('1000,a,1\n'),
  Buffer.from(`1001,${'b'.repeat(60)},2\n`),
  Buffer.from('1002,\xff\xfe,oops\n', 'latin1'),
  Buffer.from('1003,c,3\r\n'),
  Buffer.from('1004,d,\x00\n', 'latin1'),
  Buffer.from('1005,e,5\n')
])

interface DeadRecord { stage: string, reason: string, detail: string, line: number, raw: string, rawBase64?: string, truncated?: boolean }

/** The input line a dead-letter record stands for, as its bytes. */
function replay (r: DeadRecord): Buffer {
  return r.rawBase64 !== undefined ? Buffer.from(r.rawBase64, 'base64') : Buffer.from(r.raw, 'utf8')
}

async function deadRecords (path: string): Promise<DeadRecord[]> {
  return jsonLines(await readFile(path, 'utf8')) as DeadRecord[]
}

describe('--on-error skip (the default)', () => {
  it('counts every rejected line by reason and goes on', async () => {
    const r = await runCli(['run', ...COLUMNS, '--max-line-bytes', '40', '--on-error', 'skip', '--summary'], { input: CSV })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout).map(x => (x as { ts: number }).ts)).toEqual([1000, 1003, 1005])
    expect(stderrLines(r)).toEqual(['summary lines=6 malformed=3 filtered=0 emitted=3', 'malformed by reason: bad-float=2 too-long=1'])
  })
})

describe('--on-error fail', () => {
  it('stops at the framer\'s first rejection: exit 1, one line naming the line number', async () => {
    const r = await runCli(['run', ...COLUMNS, '--max-line-bytes', '40', '--on-error', 'fail'], { input: CSV })
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(stderrLines(r)).toEqual(['sensorpipe: line 2: line 2 is longer than maxLineBytes (40)'])
  })

  for (const [format, input, line] of [
    ['csv', '1000,a,1\n1001,a,x\n', 2],
    ['json', '{"a":1}\n{"a":1e999}\n', 2],
    ['kv', 'a=1\nb=2\n3\n', 3]
  ] as const) {
    it(`stops at the first rejected ${format} line: exit 1, one line naming it`, async () => {
      const r = await runCli(['run', '--format', format, ...(format === 'csv' ? COLUMNS : []), '--on-error', 'fail', '--summary'], { input })
      expect(r.code).toBe(1)
      expect(r.stderr).not.toContain(STACK_FRAME)
      expect(stderrLines(r)).toEqual([expect.stringMatching(new RegExp(`^sensorpipe: line ${line}: `))])
    })
  }

  it('with --errors FILE, the line that stopped the run is written to FILE first', async () => {
    const dead = tmp.file('fail.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--on-error', 'fail', '--errors', dead], { input: CSV })
    expect(r.code).toBe(1)
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: line 3: /)])
    const recs = await deadRecords(dead)
    expect(recs).toEqual([expect.objectContaining({ stage: 'parseCsv', reason: 'bad-float', line: 3 })])
    expect(replay(recs[0]!).equals(Buffer.from('1002,\xff\xfe,oops', 'latin1'))).toBe(true)
  })
})

describe('--on-error dead-letter:FILE', () => {
  it('counts and skips like skip, and writes every rejected line with its position, reason and exact bytes', async () => {
    const dead = tmp.file('dead.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--max-line-bytes', '40', '--on-error', `dead-letter:${dead}`, '--summary'], { input: CSV })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toHaveLength(3)
    expect(stderrLines(r)).toEqual(['summary lines=6 malformed=3 filtered=0 emitted=3', 'malformed by reason: bad-float=2 too-long=1', 'dead-letter written=3'])
    const recs = await deadRecords(dead)
    expect(recs.map(x => [x.stage, x.reason, x.line])).toEqual([['lines', 'too-long', 2], ['parseCsv', 'bad-float', 3], ['parseCsv', 'bad-float', 5]])
    // Replayed, the records are the rejected lines byte for byte (the too-long one whole: it is under 256 bytes).
    const input = CSV.toString('latin1').split('\n').map(l => Buffer.from(l.replace(/\r$/, ''), 'latin1'))
    for (const rec of recs) expect(replay(rec).equals(input[rec.line - 1]!), `line ${rec.line}`).toBe(true)
    expect(recs[1]!.rawBase64).toBeDefined() // not valid UTF-8
    expect(recs[2]!.rawBase64).toBeUndefined() // a NUL is valid UTF-8: raw is exact
    expect(recs[0]!.truncated).toBeUndefined()
  })

  it('replaying the dead-letter file gives the same rejections again', async () => {
    const dead = tmp.file('first.jsonl')
    const again = tmp.file('again.jsonl')
    await runCli(['run', ...COLUMNS, '--on-error', `dead-letter:${dead}`], { input: CSV })
    const replayed = Buffer.concat((await deadRecords(dead)).flatMap(x => [replay(x), Buffer.from('\n')]))
    const r = await runCli(['run', ...COLUMNS, '--on-error', `dead-letter:${again}`, '--summary'], { input: replayed })
    expect(stderrLines(r)[0]).toBe('summary lines=2 malformed=2 filtered=0 emitted=0')
    expect((await deadRecords(again)).map(x => [x.reason, x.raw])).toEqual((await deadRecords(dead)).map(x => [x.reason, x.raw]))
  })

  it('works the same for JSON and key=value input', async () => {
    const dead = tmp.file('json.jsonl')
    const input = Buffer.concat([Buffer.from('{"a":1}\n{"a":\n{"a":1e999}\n[1]\n\xff\n', 'latin1')])
    const r = await runCli(['run', '--format', 'json', '--on-error', `dead-letter:${dead}`, '--summary'], { input })
    expect(r.code).toBe(0)
    expect((await deadRecords(dead)).map(x => [x.reason, x.line])).toEqual([['bad-json', 2], ['not-finite', 3], ['not-object', 4], ['bad-json', 5]])
    const kvDead = tmp.file('kv.jsonl')
    await runCli(['run', '--format', 'kv', '--columns', 'v:float', '--on-error', `dead-letter:${kvDead}`], { input: 'v=1\nv=x\nnokey\n' })
    expect((await deadRecords(kvDead)).map(x => [x.stage, x.reason, x.line])).toEqual([['parseKeyValue', 'bad-float', 2], ['parseKeyValue', 'bare-value', 3]])
  })

  it('a too-long line is written with its first 256 bytes and truncated: true', async () => {
    const dead = tmp.file('long.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--on-error', `dead-letter:${dead}`, '--max-line-bytes', '300'], { input: `1000,a,1\n${'z'.repeat(1000)}\n` })
    expect(r.code).toBe(0)
    expect(await deadRecords(dead)).toEqual([expect.objectContaining({ stage: 'lines', reason: 'too-long', line: 2, raw: 'z'.repeat(256), truncated: true })])
  })

  it('--errors FILE is the same as --on-error dead-letter:FILE, and naming one file both ways is fine', async () => {
    const a = tmp.file('a.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--errors', a, '--on-error', `dead-letter:${a}`], { input: CSV })
    expect(r.code).toBe(0)
    expect(await deadRecords(a)).toHaveLength(2)
  })

  it('two different files is a usage error (exit 2, one line), and nothing runs', async () => {
    const r = await runCli(['run', ...COLUMNS, '--errors', tmp.file('x.jsonl'), '--on-error', `dead-letter:${tmp.file('y.jsonl')}`], { input: CSV })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: --errors .* and --on-error dead-letter:.* name two dead-letter files/)])
  })

  it('an unknown policy, or dead-letter: without a file, is a usage error naming the choices', async () => {
    for (const bad of ['ignore', 'dead-letter:', 'dead-letter']) {
      const r = await runCli(['run', ...COLUMNS, '--on-error', bad], { input: CSV })
      expect(r.code, bad).toBe(2)
      expect(stderrLines(r)).toEqual([`sensorpipe: --on-error must be skip, fail or dead-letter:FILE, got ${JSON.stringify(bad)}`])
    }
  })

  it('a dead-letter file that cannot be opened: exit 1, one line, nothing read', async () => {
    const r = await runCli(['run', ...COLUMNS, '--on-error', `dead-letter:${tmp.file('missing/dir/dead.jsonl')}`], { input: CSV })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: cannot open .*dead\.jsonl for writing: no such directory$/)])
  })

  it('a dead-letter file on a full disk (/dev/full): exit 1, one line, no stack', async () => {
    const r = await runCli(['run', ...COLUMNS, '--on-error', 'dead-letter:/dev/full', '--summary'], { input: CSV })
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(stderrLines(r)).toEqual(['sensorpipe: cannot write /dev/full: no space left on device'])
  })

  it('a pipeline definition can set it too (onError: "dead-letter:FILE")', async () => {
    const dead = tmp.file('def.jsonl')
    const def = tmp.file('def.ts')
    await writeFile(def, `import { definePipeline } from 'sensorpipe'\nexport default definePipeline({ options: { format: 'kv', onError: 'dead-letter:${dead}' } })\n`)
    const r = await runCli(['run', def, '--summary'], { input: 'a=1\nbad\n' })
    expect(r.code).toBe(0)
    expect(await deadRecords(dead)).toEqual([expect.objectContaining({ reason: 'bare-value', line: 2 })])
  })
})
