// The CLI stopped from outside: its output's reader goes away, or the user presses Ctrl-C.
import { appendFile, writeFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, CLI, jsonLines, killTracked, runShell, STACK_FRAME, startWatched as start, stderrLines, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

afterEach(killTracked)

describe('the output reader going away', () => {
  it('ends the run with status 0 and no stack when `| head -n 1` exits', async () => {
    // About 5 MB: far more than a pipe holds, so the CLI is still writing when head exits.
    const big = tmp.file('big.csv')
    const lines: string[] = []
    for (let i = 0; i < 200_000; i++) lines.push(`${1_700_000_000_000 + i},dev-${i % 16},${(i % 500) / 10}`)
    await writeFile(big, lines.join('\n') + '\n')
    const r = await runShell(
      '"$1" "$2" run --file "$3" --columns ts:time,sensor:string,value:float --summary | head -n 1; echo "cli-status=${PIPESTATUS[0]}" >&2',
      [process.execPath, CLI, big]
    )
    expect(r.stdout).toBe('{"ts":1700000000000,"sensor":"dev-0","value":0}\n')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.stderr).not.toContain('EPIPE')
    expect(stderrLines(r)).toContain('cli-status=0')
  })
})

describe('SIGINT (Ctrl-C)', () => {
  it('while following a file: exits 130 after flushing the open window and printing the summary', async () => {
    const file = tmp.file('follow.csv')
    await writeFile(file, '1000,a,1\n1500,a,3\n2100,a,5\n')
    const cli = start(['run', '--file', file, '--follow', '--columns', 'ts:time,sensor:string,value:float',
      '--key', 'sensor', '--window', '1s', '--agg', 'count,mean', '--summary'])
    // The first window is closed by the reading at 2100: once it is out, the file has been read.
    await cli.until('the window of 1000 (the file as it was at the start)', text => text.includes('"window":1000'))
    // Data appended while following is read too: 3200 closes the window of 2100.
    await appendFile(file, '3200,a,7\n')
    await cli.until('the window of 2000 (closed by the line appended while following)', text => text.includes('"window":2000'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(130)
    expect(jsonLines(r.stdout)).toEqual([
      { window: 1000, end: 2000, sensor: 'a', count: 2, mean: 2 },
      { window: 2000, end: 3000, sensor: 'a', count: 1, mean: 5 },
      { window: 3000, end: 4000, sensor: 'a', count: 1, mean: 7 } // the open window, flushed on SIGINT
    ])
    expect(stderrLines(r)).toContain('summary lines=4 malformed=0 filtered=0 emitted=3')
  })

  it('while reading stdin that stays open: exits 130 after flushing the open count window', async () => {
    const cli = start(['run', '--format', 'kv', '--window', '10', '--agg', 'count,max:v', '--summary'])
    // One small write reaches the CLI as one chunk (a pipe write under PIPE_BUF is atomic), so
    // once the first window (v=1..10) is out, v=11 and v=12 have been read into the next one.
    cli.child.stdin!.write(Array.from({ length: 12 }, (_, i) => `v=${i + 1}\n`).join(''))
    await cli.until('the first count window', text => text.includes('"window":0'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(130)
    expect(jsonLines(r.stdout)).toEqual([
      { window: 0, count: 10, max_v: 10 },
      { window: 1, count: 2, max_v: 12 } // the open window, flushed on SIGINT
    ])
    expect(stderrLines(r)).toContain('summary lines=12 malformed=0 filtered=0 emitted=2')
  })
})
