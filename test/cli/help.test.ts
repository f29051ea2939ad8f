// --version and --help: what a user sees before running anything.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, ROOT, runCli } from './helpers.js'

beforeAll(assertBuilt)

describe('--version and --help', () => {
  it('--version prints the version in package.json', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const r = await runCli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(pkg.version + '\n')
  })

  it('--help lists the run command and shows examples', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('sensorpipe run')
    expect(r.stdout).toMatch(/Examples:/)
  })

  it('run --help documents the flags and shows examples, including the demo pipeline', async () => {
    const r = await runCli(['run', '--help'])
    expect(r.code).toBe(0)
    for (const flag of ['--file', '--follow', '--format', '--columns', '--where', '--window', '--key', '--agg', '--output', '--output-format', '--errors', '--on-error', '--summary']) {
      expect(r.stdout).toContain(flag)
    }
    expect(r.stdout).toMatch(/Examples:/)
    expect(r.stdout).toContain('sensorpipe run pipelines/greenhouse.ts --summary')
  })
})
