// Faults around a run: the reader of the output goes away, the process is told to stop, the
// output disk is full or cannot be opened, a followed file is truncated or rotated. Each ends in
// a counted, explained outcome: a conventional exit status, at most one line on stderr for a
// failure, no stack trace.
import { spawn } from 'node:child_process'
import { appendFile, readFile, rename, truncate, writeFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, CLI, jsonLines, killTracked, REFERENCE_FLAGS, ROOT, runCli, runShell, STACK_FRAME, startWatched as start, stderrLines, tempDir, watch, type WatchedCli } from '../cli/helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let big: string
let bigJson: string
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
  // Far more than a pipe holds, so the CLI is still writing when the reader exits.
  big = tmp.file('big.csv')
  bigJson = tmp.file('big.jsonl')
  const csv: string[] = []
  const json: string[] = []
  for (let i = 0; i < 200_000; i++) {
    csv.push(`${1_700_000_000_000 + i},dev-${i % 64},${(i % 500) / 10}`)
    json.push(JSON.stringify({ ts: 1_700_000_000_000 + i, sensor: `dev-${i % 64}`, value: (i % 500) / 10 }))
  }
  await writeFile(big, csv.join('\n') + '\n')
  await writeFile(bigJson, json.join('\n') + '\n')
})
afterAll(async () => { await tmp.remove() })

const COLUMNS = ['--columns', 'ts:time,sensor:string,value:float']

afterEach(killTracked)

/** A shell pipeline `sensorpipe ARGS... | head -3`, and the CLI's own exit status. */
async function intoHead (args: string[]): Promise<{ stdout: string, stderr: string, status: string | undefined }> {
  const quoted = args.map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const r = await runShell(`"$1" "$2" ${quoted} | head -3; echo "cli-status=\${PIPESTATUS[0]}" >&2`, [process.execPath, CLI])
  const status = /cli-status=(\d+)/.exec(r.stderr)?.[1]
  return { stdout: r.stdout, stderr: r.stderr.replace(/cli-status=\d+\n/, ''), status }
}

describe('the reader of the output goes away (`| head -3`)', () => {
  it('records: status 0, exactly three lines out, nothing on stderr', async () => {
    const r = await intoHead(['run', '--file', big, ...COLUMNS])
    expect(r.status).toBe('0')
    expect(r.stdout.split('\n').filter(l => l !== '')).toHaveLength(3)
    expect(r.stderr).toBe('')
  })

  it('the reference job with --summary, JSON input, CSV output: status 0, no error, no stack', async () => {
    for (const args of [
      ['run', '--file', big, ...REFERENCE_FLAGS],
      ['run', '--file', bigJson, '--format', 'json', '--summary'],
      ['run', '--file', big, ...COLUMNS, '--output-format', 'csv']
    ]) {
      const r = await intoHead(args)
      expect(r.status, args.join(' ')).toBe('0')
      expect(r.stderr).not.toContain(STACK_FRAME)
      expect(r.stderr).not.toMatch(/sensorpipe: |EPIPE|Error/)
      expect(r.stdout.split('\n').filter(l => l !== '')).toHaveLength(3)
    }
  })

  it('while following a file: the run ends (status 0) at the first write after the reader left', async () => {
    const file = tmp.file('follow-head.csv')
    await writeFile(file, '1000,a,1\n')
    const pipeline = startPipeline(`"$1" "$2" run --file "$3" --follow ${COLUMNS.join(' ')} | head -1; echo "cli-status=\${PIPESTATUS[0]}" >&2`, [process.execPath, CLI, file])
    await pipeline.until('the first record, through head', t => t.includes('"ts":1000'))
    // head has exited; the next lines make the CLI write, meet the closed pipe, and stop.
    for (let i = 0; i < 50 && pipeline.child.exitCode === null; i++) {
      await appendFile(file, `${2000 + i},a,2\n`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const r = await pipeline.result('the pipeline to end after the reader left')
    expect(r.stderr).toContain('cli-status=0')
    expect(r.stderr).not.toContain(STACK_FRAME)
  })
})

/** Starts a bash pipeline (`$1...` are `args`) with piped stdio, to watch what reaches its end. */
function startPipeline (script: string, args: string[]): WatchedCli {
  return watch(spawn('bash', ['-c', script, 'bash', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true }))
}

describe('SIGTERM and SIGINT', () => {
  it('SIGTERM while following: exits 143 after flushing the open window and printing the summary', async () => {
    const file = tmp.file('term.csv')
    await writeFile(file, '1000,a,1\n1500,a,3\n2100,a,5\n')
    const cli = start(['run', '--file', file, '--follow', ...COLUMNS, '--key', 'sensor', '--window', '1s', '--agg', 'count,mean', '--summary'])
    await cli.until('the window of 1000 (the file as it was at the start)', text => text.includes('"window":1000'))
    cli.child.kill('SIGTERM')
    const r = await cli.result('the exit after SIGTERM')
    expect(r.code).toBe(143)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(jsonLines(r.stdout)).toEqual([
      { window: 1000, end: 2000, sensor: 'a', count: 2, mean: 2 },
      { window: 2000, end: 3000, sensor: 'a', count: 1, mean: 5 } // the open window, flushed
    ])
    expect(stderrLines(r)).toContain('summary lines=3 malformed=0 filtered=0 emitted=2')
  })

  it('SIGTERM while reading stdin that stays open: exits 143 with the summary', async () => {
    const cli = start(['run', '--format', 'kv', '--summary'])
    cli.child.stdin!.write('v=1\nv=2\nbad\n')
    await cli.until('the record v=2', text => text.includes('"v":2'))
    cli.child.kill('SIGTERM')
    const r = await cli.result('the exit after SIGTERM')
    expect(r.code).toBe(143)
    expect(stderrLines(r)).toEqual(['summary lines=3 malformed=1 filtered=0 emitted=2', 'malformed by reason: bare-value=1'])
  })

  it('SIGINT: the dead-letter file holds every line rejected so far', async () => {
    const dead = tmp.file('int-dead.jsonl')
    const cli = start(['run', '--format', 'kv', '--on-error', `dead-letter:${dead}`, '--summary'])
    cli.child.stdin!.write('v=1\nno key here\nv=2\n')
    await cli.until('the record v=2', text => text.includes('"v":2'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.code).toBe(130)
    expect(stderrLines(r)).toContain('dead-letter written=1')
    expect(jsonLines(await readFile(dead, 'utf8'))).toEqual([expect.objectContaining({ reason: 'bare-value', line: 2, raw: 'no key here' })])
  })
})

describe('the output cannot be written', () => {
  it('--output on a full disk (/dev/full, ENOSPC): exit 1, one line, no stack, no summary', async () => {
    const r = await runCli(['run', '--file', big, ...COLUMNS, '--output', '/dev/full', '--summary'])
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(stderrLines(r)).toEqual(['sensorpipe: cannot write /dev/full: no space left on device'])
  })

  it('standard output redirected to a full disk (> /dev/full): exit 1, one line', async () => {
    const r = await runShell('"$1" "$2" run --file "$3" --columns ts:time,sensor:string,value:float > /dev/full', [process.execPath, CLI, big])
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(stderrLines(r)).toEqual(['sensorpipe: cannot write output: no space left on device'])
  })

  it('--output that cannot be opened (a directory, a missing directory): exit 1, one line, nothing read', async () => {
    for (const [target, why] of [[tmp.path, 'is a directory'], [tmp.file('nope/out.jsonl'), 'no such directory']] as const) {
      const r = await runCli(['run', '--file', big, ...COLUMNS, '--output', target])
      expect(r.code, target).toBe(1)
      expect(stderrLines(r)).toEqual([`sensorpipe: cannot open ${target} for writing: ${why}`])
    }
  })
})

describe('a followed file is truncated or rotated', () => {
  const follow = (file: string): WatchedCli => start(['run', '--file', file, '--follow', ...COLUMNS, '--summary'])

  it('truncated: reported on stderr as it happens, read again from its start, counted in the summary', async () => {
    const file = tmp.file('trunc.csv')
    await writeFile(file, '1000,a,1\n1001,a,2\n1002,a,3\n')
    const cli = follow(file)
    await cli.until('the records of the file as it was at the start', t => t.includes('"ts":1002'))
    // The CLI may read these writes, and write their records, before the writes' promises
    // settle: `until` looks at all of stdout so far.
    await writeFile(file, '2000,b,5\n') // shorter than what was read: a truncation
    await cli.until('the record written after the truncation', t => t.includes('"ts":2000'))
    await appendFile(file, '2001,b,6\n')
    await cli.until('the record appended after the truncation', t => t.includes('"ts":2001'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.code).toBe(130)
    expect(jsonLines(r.stdout).map(x => (x as { ts: number }).ts)).toEqual([1000, 1001, 1002, 2000, 2001])
    // (writeFile truncates, then writes: the CLI may look in between.)
    expect(r.stderr).toMatch(new RegExp(`^sensorpipe: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was truncated \\(from 27 to [09] bytes\\): reading it again from its start$`, 'm'))
    expect(stderrLines(r)).toContain('summary lines=5 malformed=0 filtered=0 emitted=5')
    expect(stderrLines(r)).toContain('file truncated=1 rotated=0 dropped-cut=0')
    expect(r.stderr).not.toContain(STACK_FRAME)
  })

  it('truncated in the middle of a line: the unfinished line is dropped and reported, never glued to the next', async () => {
    const file = tmp.file('cut.csv')
    await writeFile(file, '1000,a,1\n1001,a,2\n1002,a,') // the writer was cut off mid-line
    const cli = follow(file)
    await cli.until('the whole lines of the file as it was at the start', t => t.includes('"ts":1001'))
    await new Promise(resolve => setTimeout(resolve, 300)) // let it reach the end of the file
    await truncate(file, 0)
    await writeFile(file, '2000,b,5\n')
    await cli.until('the record written after the truncation', t => t.includes('"ts":2000'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(jsonLines(r.stdout)).toEqual([{ ts: 1000, sensor: 'a', value: 1 }, { ts: 1001, sensor: 'a', value: 2 }, { ts: 2000, sensor: 'b', value: 5 }])
    expect(r.stderr).toContain('the unfinished line it cut (7 bytes) was dropped')
    expect(stderrLines(r)).toContain('summary lines=3 malformed=0 filtered=0 emitted=3')
    expect(stderrLines(r)).toContain('file truncated=1 rotated=0 dropped-cut=1')
  })

  it('rotated (renamed away, a new file at the path): reported, and the new file is read from its start', async () => {
    const file = tmp.file('rot.csv')
    await writeFile(file, '1000,a,1\n1001,a,2\n')
    const cli = follow(file)
    await cli.until('the records of the file as it was at the start', t => t.includes('"ts":1001'))
    await rename(file, file + '.1')
    await writeFile(file, '3000,c,7\n3001,c,8\n3002,c,9\n')
    await cli.until('the records of the new file at the path', t => t.includes('"ts":3002'))
    cli.child.kill('SIGTERM')
    const r = await cli.result('the exit after SIGTERM')
    expect(r.code).toBe(143)
    expect(jsonLines(r.stdout).map(x => (x as { ts: number }).ts)).toEqual([1000, 1001, 3000, 3001, 3002])
    expect(r.stderr).toContain(`sensorpipe: ${file} was replaced (rotated): reading the new file from its start\n`)
    expect(stderrLines(r)).toContain('file truncated=0 rotated=1 dropped-cut=0')
  })
})
