// Mistakes on the command line: a short message on stderr, no stack trace, a distinct exit status
// (2 for a usage error, 1 for a run that fails), and no output.
import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, type CliResult, runCli, STACK_FRAME, stderrLines, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let csv: string
const COLUMNS = ['--columns', 'ts:time,sensor:string,value:float']
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
  csv = tmp.file('in.csv')
  await writeFile(csv, '1000,a,1\n2000,a,2\n')
})
afterAll(async () => { await tmp.remove() })

/** The shape every user mistake shares: a few lines starting `sensorpipe:`, no stack, no output. */
function expectShortError (r: CliResult, status: number): void {
  expect(r.stderr).not.toContain(STACK_FRAME)
  expect(r.stdout).toBe('')
  expect(r.code).toBe(status)
  expect(r.stderr).toMatch(/^sensorpipe: /)
  expect(stderrLines(r).length).toBeLessThanOrEqual(4)
  expect(r.stderr.length).toBeLessThan(400)
}

describe('usage errors exit with status 2', () => {
  it('an unknown flag is named and nothing runs', async () => {
    const r = await runCli(['run', '--file', csv, ...COLUMNS, '--summary', '--bogus'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('bogus')
  })

  it('an unknown flag is refused even when the rest would read stdin', async () => {
    const r = await runCli(['run', '--format', 'json', '--no-such-flag'], { input: '{"a":1}\n' })
    expectShortError(r, 2)
    expect(r.stderr).toContain('no-such-flag')
  })

  it('an unknown command is named', async () => {
    const r = await runCli(['walk'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('walk')
  })

  it('no command at all asks for one', async () => {
    const r = await runCli([])
    expectShortError(r, 2)
  })

  it('a bad --window value is quoted in the message', async () => {
    const r = await runCli(['run', '--file', csv, ...COLUMNS, '--window', '1x'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('"1x"')
  })

  it('a bad --where expression is shown with a caret under the column', async () => {
    const expression = 'value >> 3'
    const r = await runCli(['run', '--file', csv, ...COLUMNS, '--where', expression])
    expectShortError(r, 2)
    expect(r.stderr).toContain('column 8')
    const lines = r.stderr.split('\n')
    const shown = lines.findIndex(l => l.trimStart() === expression)
    expect(shown).toBeGreaterThan(0)
    const caret = lines[shown + 1]!
    expect(caret.trim()).toBe('^')
    // The caret sits under the second '>', the 8th character of the expression.
    expect(caret.indexOf('^')).toBe(lines[shown]!.indexOf(expression) + 7)
  })

  it('an unknown column type is named', async () => {
    const r = await runCli(['run', '--file', csv, '--columns', 'ts:timestamp'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('"timestamp"')
  })

  it('an unknown --format value lists the choices', async () => {
    const r = await runCli(['run', '--file', csv, '--format', 'xml'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('xml')
  })

  it('an unknown aggregate is named', async () => {
    const r = await runCli(['run', '--file', csv, ...COLUMNS, '--window', '1s', '--agg', 'median'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('median')
  })

  it('--key without --window says it needs a window', async () => {
    const r = await runCli(['run', '--file', csv, ...COLUMNS, '--key', 'sensor'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('--window')
  })

  it('csv input without --columns or --header says what it needs', async () => {
    const r = await runCli(['run', '--file', csv, '--format', 'csv'])
    expectShortError(r, 2)
    expect(r.stderr).toContain('--columns')
  })

  it('--follow without --file says it needs a file', async () => {
    const r = await runCli(['run', '--follow', '--format', 'json'], { input: '' })
    expectShortError(r, 2)
    expect(r.stderr).toContain('--file')
  })

  it('a pipeline file that does not exist is named', async () => {
    const r = await runCli(['run', tmp.file('no-such-pipeline.ts')])
    expectShortError(r, 2)
    expect(r.stderr).toContain('no-such-pipeline.ts')
  })
})

describe('run failures exit with status 1', () => {
  it('a missing input file gives one line: cannot open PATH: no such file', async () => {
    const missing = tmp.file('missing.csv')
    const r = await runCli(['run', '--file', missing, ...COLUMNS])
    expectShortError(r, 1)
    expect(r.stderr).toBe(`sensorpipe: cannot open ${missing}: no such file\n`)
  })

  it('a folder given as the input file gives one line naming it', async () => {
    const r = await runCli(['run', '--file', tmp.path, ...COLUMNS])
    expectShortError(r, 1)
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^sensorpipe: cannot (open|read) .*: .*directory/)])
    expect(r.stderr).toContain(tmp.path)
  })
})
