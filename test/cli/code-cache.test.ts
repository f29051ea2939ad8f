// The CLI's code cache (src/cli/code-cache.ts): the build makes one that the command accepts,
// and without a usable one (missing, stale, cut short) the command still does the same work.
import { spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, ROOT } from './helpers.js'
import { tempDir } from '../helpers.js'

type TempDir = Awaited<ReturnType<typeof tempDir>>

const DIST = join(ROOT, 'dist')
const JOB = ['run', '--file', join(ROOT, 'fixtures', 'greenhouse.csv'), '--columns', 'ts:time,sensor:string,temp:float,hum:float',
  '--where', 'temp > -40 && temp < 85', '--key', 'sensor', '--time', 'ts', '--window', '1m', '--agg', 'count,mean:temp,max:hum', '--summary']

function node (args: string[], cwd = ROOT): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, SENSORPIPE_DEBUG: '' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

// What the command made of the cache (it says with SENSORPIPE_DEBUG=1).
function cacheState (dist: string): string {
  const r = spawnSync(process.execPath, [join(dist, 'cli.js'), '--version'], { encoding: 'utf8', env: { ...process.env, SENSORPIPE_DEBUG: '1' } })
  expect(r.status).toBe(0)
  const m = /^sensorpipe: code cache (\w+)$/m.exec(r.stderr)
  expect(m, r.stderr).not.toBeNull()
  return m![1]!
}

let expected: { stdout: string, stderr: string }
beforeAll(() => {
  assertBuilt()
  const r = node([join(DIST, 'cli.js'), ...JOB])
  expect(r.status).toBe(0)
  expected = { stdout: r.stdout, stderr: r.stderr }
  expect(expected.stdout.split('\n').length).toBeGreaterThan(100)
})

describe('the CLI code cache', () => {
  it('is made by the build for the bundle, and V8 accepts it under the flags the command runs with', () => {
    const cache = readFileSync(join(DIST, 'cli-bundle.cache'))
    const bundle = readFileSync(join(DIST, 'cli-bundle.cjs'))
    expect(cache.toString('latin1', 0, 4)).toBe('SPC2')
    expect(cache.readUInt32LE(4)).toBe(bundle.length)
    const id = /^\/\/# sensorpipe-build ([0-9a-f]{16})\n/.exec(bundle.toString('latin1', 0, 64))?.[1]
    expect(cache.toString('latin1', 8, 24)).toBe(id)
    expect(cacheState(DIST)).toBe('accepted')
  })

  describe('copied elsewhere, and without a usable cache', () => {
    let tmp: TempDir
    afterEach(async () => { await tmp.remove() })

    // A copy of the CLI's files, every one with a new modification time (as npm packs them).
    function copyCli (): string {
      for (const f of ['cli.js', 'cli-bundle.cjs', 'cli-bundle.cache', 'parse-worker.js']) {
        copyFileSync(join(DIST, f), tmp.file(f))
        utimesSync(tmp.file(f), new Date(499162500000), new Date(499162500000))
      }
      return tmp.path
    }
    const edit = (dir: string, change: (text: string) => string): void => {
      const file = join(dir, 'cli-bundle.cjs')
      writeFileSync(file, change(readFileSync(file, 'utf8')))
    }

    it.each([
      ['as built', () => {}, 'accepted'],
      ['the bundle changed since (another size)', (dir: string) => { edit(dir, t => t + '// edited\n') }, 'none'],
      ['the bundle rebuilt since (another build hash)', (dir: string) => { edit(dir, t => t.replace(/^(\/\/# sensorpipe-build )[0-9a-f]{16}/, '$10123456789abcdef')) }, 'none'],
      ['the bundle without its build hash', (dir: string) => { edit(dir, t => t.replace(/^\/\/# sensorpipe-build /, '//# sensorpipe-built ')) }, 'none'],
      ['the cache cut short', (dir: string) => { truncateSync(join(dir, 'cli-bundle.cache'), 20) }, 'none'],
      ['the cache missing', (dir: string) => { unlinkSync(join(dir, 'cli-bundle.cache')) }, 'none'],
      ['the cache made by another V8 or with other flags', (dir: string) => {
        // The header matches the bundle; the V8 data is not a code cache at all.
        const cache = readFileSync(join(dir, 'cli-bundle.cache'))
        writeFileSync(join(dir, 'cli-bundle.cache'), Buffer.concat([cache.subarray(0, 24), Buffer.alloc(4096, 7)]))
      }, 'rejected']
    ])('%s: the command does the same', async (_, spoil, state) => {
      tmp = await tempDir()
      const dir = copyCli()
      spoil(dir)
      expect(cacheState(dir)).toBe(state)
      const r = node([join(dir, 'cli.js'), ...JOB])
      expect(r.status).toBe(0)
      expect(r.stdout).toBe(expected.stdout)
      expect(r.stderr).toBe(expected.stderr)
    })
  })
})
