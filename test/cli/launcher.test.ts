// bin/sensorpipe, the `sensorpipe` command: a shell script that execs node dist/cli.js with one V8
// helper thread (--v8-pool-size=1) unless the caller chose a pool size or asked for --threads.
// A preload (given through NODE_OPTIONS, which the script passes on) records what the node
// process was started with.
import { spawn } from 'node:child_process'
import { readFile, symlink, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, COMMAND, type CliResult, finished, ROOT, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let preload: string
let report: string

beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
  preload = tmp.file('report.cjs')
  report = tmp.file('report.json')
  await writeFile(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ pid: process.pid, execArgv: process.execArgv })))\n`)
})
afterAll(async () => { await tmp.remove() })

interface Started { result: CliResult, pid: number | undefined, node: { pid: number, execArgv: string[] } }

// Runs `command ...args` with the preload added to NODE_OPTIONS (after `nodeOptions`).
async function run (command: string, args: string[], nodeOptions = ''): Promise<Started> {
  await writeFile(report, '')
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, SENSORPIPE_DEBUG: '', NODE_OPTIONS: `${nodeOptions} --require ${preload}`.trim() },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const pid = child.pid
  const result = await finished(child)
  return { result, pid, node: JSON.parse(await readFile(report, 'utf8')) as Started['node'] }
}

describe('the sensorpipe command (bin/sensorpipe)', () => {
  it('runs the CLI with one V8 helper thread, in its own process (exec: the pid it was started with)', async () => {
    const { result, pid, node } = await run(COMMAND, ['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(node.execArgv).toEqual(['--v8-pool-size=1'])
    expect(node.pid).toBe(pid)
  })

  it('leaves a pool size given in NODE_OPTIONS alone', async () => {
    const { result, node } = await run(COMMAND, ['--version'], '--v8-pool-size=3')
    expect(result.code).toBe(0)
    expect(node.execArgv).toEqual([])
  })

  it('leaves the default pool to --threads (the parse worker shares it)', async () => {
    const input = tmp.file('in.csv')
    await writeFile(input, '1700000000000,a,1\n')
    const { result, node } = await run(COMMAND, ['run', '--file', input, '--threads', '2', '--columns', 'ts:time,sensor:string,value:float'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ ts: 1700000000000, sensor: 'a', value: 1 })
    expect(node.execArgv).toEqual([])
  })

  it('passes arguments through as they are, and the exit status and messages back', async () => {
    const input = tmp.file('odd name $HOME "q".csv')
    await writeFile(input, '1,a b,2\n')
    const ok = await run(COMMAND, ['run', '--file', input, '--columns', 'ts:int,sensor:string,value:float', '--where', 'sensor == "a b"'])
    expect(ok.result.code).toBe(0)
    expect(JSON.parse(ok.result.stdout)).toEqual({ ts: 1, sensor: 'a b', value: 2 })
    const bad = await run(COMMAND, ['run', '--no-such-flag'])
    expect(bad.result.code).toBe(2)
    expect(bad.result.stderr).toContain('Unknown argument: no-such-flag')
  })

  it('finds the package through the links npm makes (relative and absolute, chained)', async () => {
    // As `npm install -g` does: <prefix>/bin/sensorpipe -> ../lib/node_modules/sensorpipe/bin/sensorpipe,
    // with the package folder itself a link (`npm link`).
    const prefix = tmp.file('prefix')
    await mkdir(join(prefix, 'bin'), { recursive: true })
    await mkdir(join(prefix, 'lib', 'node_modules'), { recursive: true })
    await symlink(ROOT, join(prefix, 'lib', 'node_modules', 'sensorpipe'))
    await symlink('../lib/node_modules/sensorpipe/bin/sensorpipe', join(prefix, 'bin', 'sensorpipe'))
    await symlink(join(prefix, 'bin', 'sensorpipe'), tmp.file('again'))
    for (const command of [join(prefix, 'bin', 'sensorpipe'), tmp.file('again')]) {
      const { result, node } = await run(command, ['--version'])
      expect(result.code).toBe(0)
      expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
      expect(node.execArgv).toEqual(['--v8-pool-size=1'])
    }
  })
})
