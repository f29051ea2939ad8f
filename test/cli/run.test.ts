// `sensorpipe run` end to end: the built CLI on small hand-made inputs, with exact expected output.
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, jsonLines, REFERENCE_FLAGS, runCli, runShell, sorted, STACK_FRAME, stderrLines, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

// Two sensors, two 1 s windows. A BOM on the first line and CRLF on the first two (a CR left on
// "20.5" would make it malformed), one malformed line, one reading above 125, the range bounds
// -40 and 125 themselves (kept), and a last line without LF.
const TINY_CSV = '\uFEFF' + [
  '1700000000100,dev-a,20.5\r\n',
  '1700000000200,dev-b,30\r\n',
  '1700000000700,dev-a,21.5\n',
  '1700000000800,dev-a\n', // malformed: 2 fields
  '1700000000900,dev-b,126\n', // filtered: > 125
  '1700000001100,dev-a,10\n',
  '1700000001200,dev-b,-40\n',
  '1700000001300,dev-b,125'
].join('')

describe('the reference job', () => {
  it('prints one JSON line per sensor and window and the summary on stderr', async () => {
    const file = tmp.file('tiny.csv')
    await writeFile(file, TINY_CSV)
    const r = await runCli(['run', '--file', file, ...REFERENCE_FLAGS])
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(0)
    expect(sorted(jsonLines(r.stdout))).toEqual(sorted([
      { window: 1700000000000, end: 1700000001000, sensor: 'dev-a', count: 2, mean: 21, min: 20.5, max: 21.5 },
      { window: 1700000000000, end: 1700000001000, sensor: 'dev-b', count: 1, mean: 30, min: 30, max: 30 },
      { window: 1700000001000, end: 1700000002000, sensor: 'dev-a', count: 1, mean: 10, min: 10, max: 10 },
      { window: 1700000001000, end: 1700000002000, sensor: 'dev-b', count: 2, mean: 42.5, min: -40, max: 125 }
    ]))
    expect(stderrLines(r)).toContain('summary lines=8 malformed=1 filtered=1 emitted=4')
  })

  it('prints no summary without --summary', async () => {
    const file = tmp.file('tiny-nosummary.csv')
    await writeFile(file, TINY_CSV)
    const r = await runCli(['run', '--file', file, ...REFERENCE_FLAGS.filter(f => f !== '--summary')])
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toHaveLength(4)
    expect(r.stderr).toBe('')
  })
})

describe('standard input', () => {
  const input = '{"ts":1,"temp":21.5}\n{"ts":2,"temp":31}\n'

  it('is read with --file -', async () => {
    const r = await runCli(['run', '--file', '-', '--format', 'json', '--summary'], { input })
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ ts: 1, temp: 21.5 }, { ts: 2, temp: 31 }])
    expect(stderrLines(r)).toContain('summary lines=2 malformed=0 filtered=0 emitted=2')
  })

  it('is read when no --file is given', async () => {
    const r = await runCli(['run', '--format', 'json', '--summary'], { input })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ ts: 1, temp: 21.5 }, { ts: 2, temp: 31 }])
    expect(stderrLines(r)).toContain('summary lines=2 malformed=0 filtered=0 emitted=2')
  })

  it('that is empty gives no output and a zero summary', async () => {
    const r = await runCli(['run', '--format', 'json', '--summary'], { input: '' })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(stderrLines(r)).toContain('summary lines=0 malformed=0 filtered=0 emitted=0')
  })
})

describe('input formats', () => {
  it('--format json passes objects through and counts other lines as malformed', async () => {
    const input = [
      '{"ts":1,"sensor":"a","temp":21.5,"hum":40}',
      'not json',
      '[1,2]',
      '',
      '{"ts":2,"sensor":"b","temp":30.5,"hum":55}'
    ].join('\n') + '\n'
    const r = await runCli(['run', '--format', 'json', '--where', 'temp > 25', '--summary'], { input })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ ts: 2, sensor: 'b', temp: 30.5, hum: 55 }])
    expect(stderrLines(r)).toContain('summary lines=5 malformed=3 filtered=1 emitted=1')
  })

  it('--format kv reads key=value pairs separated by spaces', async () => {
    const r = await runCli(['run', '--format', 'kv', '--summary'], { input: 'temp=21.5 hum=40\ntemp=22 hum=41 room=attic\n' })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ temp: 21.5, hum: 40 }, { temp: 22, hum: 41, room: 'attic' }])
    expect(stderrLines(r)).toContain('summary lines=2 malformed=0 filtered=0 emitted=2')
  })

  it('--format kv reads key:value pairs separated by commas (Arduino serial plotter style)', async () => {
    const r = await runCli(['run', '--format', 'kv', '--summary'], { input: 'temp:21.5,hum:40\r\ntemp:23,hum:38\r\n' })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ temp: 21.5, hum: 40 }, { temp: 23, hum: 38 }])
    expect(stderrLines(r)).toContain('summary lines=2 malformed=0 filtered=0 emitted=2')
  })

  it('--format kv with --columns rejects a value that does not fit its type', async () => {
    const r = await runCli(['run', '--format', 'kv', '--columns', 'temp:float', '--summary'], { input: 'temp=21.5\ntemp=warm\nhum=3\n' })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ temp: 21.5 }])
    expect(stderrLines(r)).toContain('summary lines=3 malformed=2 filtered=0 emitted=1')
  })

  it('--header reads the column names from the first line', async () => {
    const input = 'ts,sensor,value\n1000,a,1.5\n2000,b,2.5\n'
    const r = await runCli(['run', '--header', '--columns', 'ts:time,value:float', '--summary'], { input })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ ts: 1000, sensor: 'a', value: 1.5 }, { ts: 2000, sensor: 'b', value: 2.5 }])
    expect(stderrLines(r)).toContain('summary lines=3 malformed=0 filtered=0 emitted=2')
  })
})

describe('windows', () => {
  const KV = [
    'temp=1 hum=10 room=a floor=1',
    'temp=2 hum=20 room=a floor=1',
    'temp=3 hum=30 room=a floor=2',
    'temp=4 hum=40 room=b floor=1',
    'temp=5 hum=50 room=a floor=1',
    'temp=6 hum=60 room=a floor=1',
    'temp=7 hum=70 room=a floor=2'
  ].join('\n') + '\n'

  it('--window 3 closes a window every 3 records and flushes the rest at the end', async () => {
    const r = await runCli(['run', '--format', 'kv', '--window', '3', '--agg', 'count,mean:temp,max:temp', '--summary'], { input: KV })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([
      { window: 0, count: 3, mean_temp: 2, max_temp: 3 },
      { window: 1, count: 3, mean_temp: 5, max_temp: 6 },
      { window: 2, count: 1, mean_temp: 7, max_temp: 7 }
    ])
    expect(stderrLines(r)).toContain('summary lines=7 malformed=0 filtered=0 emitted=3')
  })

  it('--key with two fields keeps one window per distinct pair', async () => {
    const r = await runCli(['run', '--format', 'kv', '--window', '2', '--key', 'room,floor', '--agg', 'count'], { input: KV })
    expect(r.code).toBe(0)
    expect(sorted(jsonLines(r.stdout))).toEqual(sorted([
      { window: 0, room: 'a', floor: 1, count: 2 }, // temp 1, 2
      { window: 1, room: 'a', floor: 1, count: 2 }, // temp 5, 6
      { window: 0, room: 'a', floor: 2, count: 2 }, // temp 3, 7
      { window: 0, room: 'b', floor: 1, count: 1 } // temp 4, flushed at the end
    ]))
  })

  it('--agg mean:temp,max:hum names each output after its function and field', async () => {
    const r = await runCli(['run', '--format', 'kv', '--window', '4', '--key', 'room', '--agg', 'mean:temp,max:hum'], { input: KV })
    expect(r.code).toBe(0)
    expect(sorted(jsonLines(r.stdout))).toEqual(sorted([
      { window: 0, room: 'a', mean_temp: 2.75, max_hum: 50 }, // temp 1, 2, 3, 5
      { window: 1, room: 'a', mean_temp: 6.5, max_hum: 70 }, // temp 6, 7
      { window: 0, room: 'b', mean_temp: 4, max_hum: 40 }
    ]))
  })

  it('a time window with --time FIELD:s reads epoch seconds', async () => {
    const input = '{"t":100,"v":1}\n{"t":100.5,"v":3}\n{"t":101,"v":5}\n'
    const r = await runCli(['run', '--format', 'json', '--window', '1s', '--time', 't:s', '--agg', 'count,sum:v'], { input })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([
      { window: 100000, end: 101000, count: 2, sum_v: 4 },
      { window: 101000, end: 102000, count: 1, sum_v: 5 }
    ])
  })
})

describe('output', () => {
  const CSV = '1000,a,1.5\n1200,b,2\n1400,a,2.5\n2100,a,"x,y"\n'
  const COLUMNS = ['--columns', 'ts:time,sensor:string,value:float']

  // The CLI fills its output buffers again once written (toJsonLines reuse): to a pipe whose
  // reader is slow, a write is queued, and its buffer must not be reused before it is written.
  it('writes the same bytes to a slow pipe as to a file (output buffers are reused only once written)', async () => {
    const input = tmp.file('many.csv')
    await writeFile(input, Array.from({ length: 100_000 }, (_, i) => `${1_700_000_000_000 + i},dev-${i % 7},${(i % 500) / 10}\n`).join(''))
    const args = ['run', '--file', input, ...COLUMNS, '--where', 'value > 1']
    const file = await runCli([...args, '--output', tmp.file('many.jsonl')])
    expect(file.code).toBe(0)
    const piped = await runShell('out="$1"; shift; node dist/cli.js "$@" | (sleep 0.3; cat) > "$out"', [tmp.file('slow.jsonl'), ...args])
    expect(piped.code).toBe(0)
    const expected = await readFile(tmp.file('many.jsonl'), 'utf8')
    expect(expected.split('\n').length - 1).toBe(97_800) // value > 1: 489 of every 500
    expect(await readFile(tmp.file('slow.jsonl'), 'utf8')).toBe(expected)
  })

  it('--output-format csv writes a header line and one line per record', async () => {
    const r = await runCli(['run', ...COLUMNS, '--key', 'sensor', '--window', '1s', '--agg', 'count,max', '--output-format', 'csv'], { input: CSV })
    expect(r.code).toBe(0)
    const [header, ...rows] = r.stdout.split('\n')
    expect(header).toBe('window,end,sensor,count,max')
    expect(rows.filter(l => l !== '').sort()).toEqual(['1000,2000,a,2,2.5', '1000,2000,b,1,2'])
    expect(r.stdout.endsWith('\n')).toBe(true)
  })

  it('--output-format csv quotes a field that holds a comma or a quote', async () => {
    const input = '{"id":"a,b","note":"say \\"hi\\""}\n'
    const r = await runCli(['run', '--format', 'json', '--output-format', 'csv'], { input })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('id,note\n"a,b","say ""hi"""\n')
  })

  it('--output FILE writes there and nothing to stdout', async () => {
    const out = tmp.file('out.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--output', out, '--summary'], { input: CSV })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(await readFile(out, 'utf8')).toBe([
      '{"ts":1000,"sensor":"a","value":1.5}',
      '{"ts":1200,"sensor":"b","value":2}',
      '{"ts":1400,"sensor":"a","value":2.5}',
      ''
    ].join('\n'))
    expect(stderrLines(r)).toContain('summary lines=4 malformed=1 filtered=0 emitted=3')
  })

  it('--output - writes to stdout', async () => {
    const r = await runCli(['run', ...COLUMNS, '--output', '-'], { input: '1000,a,1.5\n' })
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('{"ts":1000,"sensor":"a","value":1.5}\n')
  })

  it('-o FILE with --output-format csv writes CSV to the file, replacing what was there', async () => {
    const out = tmp.file('out.csv')
    await writeFile(out, 'old content that must go\n'.repeat(10))
    const r = await runCli(['run', ...COLUMNS, '-o', out, '--output-format', 'csv'], { input: CSV })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(await readFile(out, 'utf8')).toBe('ts,sensor,value\n1000,a,1.5\n1200,b,2\n1400,a,2.5\n')
  })

  it('--output into a folder that does not exist fails with one line and status 1', async () => {
    const r = await runCli(['run', ...COLUMNS, '--output', tmp.file('no/such/dir/out.jsonl')], { input: CSV })
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: cannot open .*out\.jsonl for writing/)])
  })
})

describe('rejected lines', () => {
  const INPUT = [
    '1000,a,1.5', // 1 ok
    'garbage', // 2 field-count
    '1100,a,nan', // 3 bad-float
    '', // 4 empty: field-count
    'x100,a,2', // 5 bad-time
    '1200,a,2.5' // 6 ok
  ].join('\n') + '\n'
  const COLUMNS = ['--columns', 'ts:time,sensor:string,value:float']

  it('--errors FILE gets one JSON line with reason, line number and raw text per rejected line', async () => {
    const errors = tmp.file('rejected.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--errors', errors, '--summary'], { input: INPUT })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ ts: 1000, sensor: 'a', value: 1.5 }, { ts: 1200, sensor: 'a', value: 2.5 }])
    expect(stderrLines(r)).toContain('summary lines=6 malformed=4 filtered=0 emitted=2')
    const rejected = jsonLines(await readFile(errors, 'utf8'))
    expect(rejected).toEqual([
      expect.objectContaining({ reason: 'field-count', line: 2, raw: 'garbage' }),
      expect.objectContaining({ reason: 'bad-float', line: 3, raw: '1100,a,nan' }),
      expect.objectContaining({ reason: 'field-count', line: 4, raw: '' }),
      expect.objectContaining({ reason: 'bad-time', line: 5, raw: 'x100,a,2' })
    ])
    for (const rej of rejected) expect(rej).toEqual(expect.objectContaining({ stage: 'parseCsv', detail: expect.any(String) }))
  })

  it('--errors FILE is written but empty when every line parses', async () => {
    const errors = tmp.file('none-rejected.jsonl')
    const r = await runCli(['run', ...COLUMNS, '--errors', errors], { input: '1000,a,1\n' })
    expect(r.code).toBe(0)
    expect(await readFile(errors, 'utf8')).toBe('')
  })

  it('--summary also counts the malformed lines by reason', async () => {
    const r = await runCli(['run', ...COLUMNS, '--summary'], { input: INPUT })
    expect(r.code).toBe(0)
    expect(stderrLines(r)).toContain('malformed by reason: field-count=2 bad-float=1 bad-time=1')
  })

  it('--on-error fail stops at the first rejected line with a one-line message naming its number', async () => {
    const r = await runCli(['run', ...COLUMNS, '--on-error', 'fail'], { input: INPUT })
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: line 2\b/)])
  })

  it('--on-error fail in JSON input names the line number too', async () => {
    const r = await runCli(['run', '--format', 'json', '--on-error', 'fail'], { input: '{"a":1}\n{"a":2}\n{"a":\n' })
    expect(r.code).toBe(1)
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: line 3\b/)])
  })

  it('--max-line-bytes drops a longer line and counts it as malformed', async () => {
    const input = `{"a":1}\n{"a":"${'x'.repeat(100)}"}\n{"a":3}\n`
    const r = await runCli(['run', '--format', 'json', '--max-line-bytes', '50', '--summary'], { input })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ a: 1 }, { a: 3 }])
    expect(stderrLines(r)).toContain('summary lines=3 malformed=1 filtered=0 emitted=2')
    expect(stderrLines(r)).toContain('malformed by reason: too-long=1')
  })
})
