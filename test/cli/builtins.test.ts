// The Node built-in modules the CLI loads on the reference job's path. Each one loaded is
// resident memory for the whole run (node:assert about 1.8 MiB with what it pulls in,
// node:perf_hooks 0.8), so the ones the job does not need stay unloaded: yargs' node:assert is
// replaced in the bundle (src/cli/shims/assert.ts), node:os and node:net are fetched where they
// are used, and fromFile times its reads with Date.now(), not the `performance` global.
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { notStrictEqual, strictEqual } from '../../src/cli/shims/assert.js'
import { assertBuilt, ROOT } from './helpers.js'
import { tempDir } from '../helpers.js'

const JOB = ['run', '--file', join(ROOT, 'fixtures', 'greenhouse.csv'), '--columns', 'ts:time,sensor:string,temp:float,hum:float',
  '--where', 'temp > -40 && temp < 85', '--key', 'sensor', '--time', 'ts', '--window', '1m', '--agg', 'count,mean:temp,max:hum', '--summary']

describe('built-in modules the CLI loads', () => {
  let loaded: string[]
  beforeAll(async () => {
    assertBuilt()
    const dir = await tempDir()
    const out = join(dir.path, 'out.jsonl')
    const list = join(dir.path, 'modules.json')
    // A preload that writes the list of loaded built-ins when the process exits.
    const preload = join(dir.path, 'list.cjs')
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)))\n`)
    // Output to files, as the benchmark has it (a pipe on stderr would load node:net for its socket).
    const fd = openSync(out, 'w')
    const r = spawnSync(process.execPath, ['-r', preload, join(ROOT, 'dist', 'cli.js'), ...JOB], { stdio: ['ignore', fd, fd] })
    closeSync(fd)
    expect(r.status, readFileSync(out, 'utf8')).toBe(0)
    expect(readFileSync(out, 'utf8')).toMatch(/^summary lines=\d+/m)
    loaded = JSON.parse(readFileSync(list, 'utf8')) as string[]
    await dir.remove()
  })

  it('runs a job from a file without node:assert, node:os, node:perf_hooks or node:net', () => {
    expect(loaded).toContain('NativeModule fs') // the list is the real one
    for (const m of ['assert', 'os', 'perf_hooks', 'net']) expect(loaded).not.toContain(`NativeModule ${m}`)
  })

  it("keeps yargs' invariant checks: the stand-in for node:assert throws as it does", () => {
    expect(() => { strictEqual(typeof 'x', 'string') }).not.toThrow()
    expect(() => { strictEqual(1, 2, 'one is not two') }).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION', message: 'one is not two' }))
    expect(() => { notStrictEqual(undefined, null) }).not.toThrow()
    expect(() => { notStrictEqual(NaN, NaN) }).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }))
  })
})
