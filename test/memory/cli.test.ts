// The memory flags of `sensorpipe run`, through the built CLI as a user runs it: the heap-check
// table, the leak guard (--max-heap, exit 3), heap snapshots, the profile report, the weak
// last-readings view on SIGUSR1, and the reference job under a 16 MB old space.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, CLI, finished, killTracked, REFERENCE_FLAGS, ROOT, runCli, STACK_FRAME, startWatched, stderrLines, tempDir, track } from '../cli/helpers.js'
import { waitUntil } from '../helpers.js'
import { writeReferenceFile } from './helpers.js'

const MiB = 1 << 20
let dir: Awaited<ReturnType<typeof tempDir>>
let small: string

beforeAll(async () => {
  assertBuilt()
  dir = await tempDir()
  small = dir.file('small.csv')
  await writeReferenceFile(small, 100_000)
}, 120_000)
afterAll(async () => { await dir.remove() })

afterEach(killTracked)

/** The live high-water mark from the table's last line, in bytes. */
function liveHighWater (stderr: string): number {
  const m = /live heap \(after GC\): start [0-9.]+ MB, high-water ([0-9.]+) MB at /.exec(stderr)
  if (m === null) throw new Error(`no live heap line in:\n${stderr}`)
  return Number(m[1]) * MiB
}

// A pipeline file with a stage that keeps what it is given: `copies` keeps a copy of every
// record (new objects), `batches` keeps the batches themselves.
function leakyPipeline (kind: 'copies' | 'batches'): string {
  const file = dir.file(`leaky-${kind}.ts`)
  writeFileSync(file, `import { definePipeline, type RecordBatch } from 'sensorpipe'
const kept: unknown[] = []
export default definePipeline({
  options: { format: 'csv', columns: 'ts:time,sensor:string,value:float', where: 'value >= -40 && value <= 125' },
  stages: () => [async function * leakyStage (batches: AsyncIterable<RecordBatch>) {
    for await (const b of batches) { kept.push(${kind === 'copies' ? 'b.toRows().map(r => ({ ...r }))' : 'b'}); yield b }
  }]
})
`)
  return file
}

describe('--heap-check', () => {
  it('prints the per-stage table after the summary and leaves the output and the summary line as they are', async () => {
    const plain = await runCli(['run', '--file', small, ...REFERENCE_FLAGS])
    const checked = await runCli(['run', '--file', small, ...REFERENCE_FLAGS, '--heap-check'])
    expect(checked.code).toBe(0)
    expect(checked.stdout).toBe(plain.stdout)
    const lines = stderrLines(checked)
    expect(lines[0]).toBe(stderrLines(plain)[0])
    expect(lines[0]).toMatch(/^summary lines=100000 malformed=0 filtered=\d+ emitted=6400$/)
    const table = lines.slice(lines.findIndex(l => l.startsWith('heap check (')))
    expect(table[1]).toMatch(/^stage\s+batches\s+in\s+out\s+dropped\s+time ms/)
    expect(table.slice(2, 9).map(l => l.split(/\s+/)[0])).toEqual(['source', 'lines', 'parseCsv', 'where', 'tumbling', 'toJsonLines', '(output)'])
    expect(table[3]).toMatch(/^lines\s+\d+\s+[0-9.]+ MB\s+100000\s+0\s/)
    expect(table[9]).toMatch(/^live heap \(after GC\): start/)
  })

  // The test: the reference job on a generated input and on one ten times larger.
  it('the reference job\'s live heap high-water marks on N and 10×N lines differ by less than 2 MB', async () => {
    const one = dir.file('one.csv')
    const ten = dir.file('ten.csv')
    await writeReferenceFile(one, 200_000)
    await writeReferenceFile(ten, 2_000_000)
    const flags = [...REFERENCE_FLAGS, '--heap-check', '--heap-check-every', '20ms', '--output', dir.file('out.jsonl')]
    const r1 = await runCli(['run', '--file', one, ...flags])
    const r10 = await runCli(['run', '--file', ten, ...flags])
    expect(r1.code).toBe(0)
    expect(r10.code).toBe(0)
    expect(r1.stderr).toMatch(/^summary lines=200000 /)
    expect(r10.stderr).toMatch(/^summary lines=2000000 /)
    const [a, b] = [liveHighWater(r1.stderr), liveHighWater(r10.stderr)]
    expect(Math.abs(b - a), `1×: ${(a / MiB).toFixed(1)} MB, 10×: ${(b / MiB).toFixed(1)} MB`).toBeLessThan(2 * MiB)
  }, 180_000)
})

describe('--max-heap', () => {
  it('stops a stage that keeps every record, with exit status 3 and a message naming it', async () => {
    const big = dir.file('big.csv')
    await writeReferenceFile(big, 2_000_000)
    const r = await runCli(['run', leakyPipeline('copies'), '--file', big, '--output', dir.file('leak.jsonl'), '--max-heap', '40'])
    expect(r.code).toBe(3)
    const last = stderrLines(r).at(-1)!
    expect(last).toMatch(/^sensorpipe: heap over budget: [0-9.]+ MB in use after garbage collection, over the --max-heap budget of 40\.0 MB \(seen at \S+ → \S+, [0-9.]+ s into the run\)/)
    expect(last).toMatch(/most of the live memory was allocated by stage "leaky"/)
    expect(r.stderr).not.toContain(STACK_FRAME)
  }, 120_000)

  it('stops a stage that keeps whole batches, naming the boundary they passed', async () => {
    // 2M lines held as batches come to about 40 MB: a budget well under that
    const r = await runCli(['run', leakyPipeline('batches'), '--file', dir.file('big.csv'), '--output', dir.file('leak.jsonl'), '--max-heap', '24', '--heap-check'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/\d+ batches that passed where → leaky are still alive: "leaky" or a stage after it keeps them/)
    // the table is printed before the message
    expect(r.stderr.indexOf('heap check (')).toBeLessThan(r.stderr.indexOf('heap over budget'))
  }, 120_000)

  it('lets a healthy run under budget finish as usual', async () => {
    const r = await runCli(['run', '--file', small, ...REFERENCE_FLAGS, '--max-heap', '64'])
    expect(r.code).toBe(0)
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^summary lines=100000 /)])
  })

  it('refuses a bad budget or interval with exit status 2', async () => {
    for (const [flags, message] of [
      [['--max-heap', '-3'], /--max-heap must be a positive number of MB/],
      [['--heap-check', '--heap-check-every', 'soon'], /--heap-check-every must be a duration/],
      [['--heap-snapshot-every', '1s'], /--heap-snapshot-every needs --heap-snapshot DIR/]
    ] as const) {
      const r = await runCli(['run', '--file', small, ...REFERENCE_FLAGS, ...flags])
      expect(r.code, flags.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
    }
  })
})

// The test: the whole job fits in a 16 MB old generation.
describe('under node --max-old-space-size=16', () => {
  it('completes the reference job', async () => {
    const input = dir.file('million.csv')
    await writeReferenceFile(input, 1_000_000)
    const child = track(spawn(process.execPath, ['--max-old-space-size=16', CLI, 'run', '--file', input, ...REFERENCE_FLAGS, '--output', dir.file('m.jsonl')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }))
    const r = await finished(child)
    expect(r.stderr).toMatch(/^summary lines=1000000 malformed=0 filtered=\d+ emitted=64000\n/)
    expect(r.code).toBe(0)
  }, 120_000)
})

// src/cli/young-generation.ts: the CLI keeps V8's young generation at its starting size (a
// node flag naming the semi-space is left alone), so peak RSS does not grow with the input.
describe('the young generation', () => {
  async function newSpaceAfter (nodeFlags: string[]): Promise<number> {
    const input = dir.file('young.csv')
    await writeReferenceFile(input, 1_000_000)
    const hook = dir.file('new-space.mjs')
    writeFileSync(hook, `import v8 from 'node:v8'
process.on('exit', () => { process.stderr.write('new_space ' + v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space').space_size + '\\n') })
`)
    const child = track(spawn(process.execPath, [...nodeFlags, '--import', hook, CLI, 'run', '--file', input, ...REFERENCE_FLAGS, '--output', dir.file('young.jsonl')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }))
    const r = await finished(child)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^summary lines=1000000 malformed=0 /)
    return Number(/new_space (\d+)/.exec(r.stderr)![1])
  }

  it('stays at its starting size through a million lines', async () => {
    expect(await newSpaceAfter([])).toBeLessThanOrEqual(2 * MiB)
  }, 60_000)

  it('is left to grow when node is given a semi-space flag', async () => {
    expect(await newSpaceAfter(['--semi-space-growth-factor=2'])).toBeGreaterThan(2 * MiB)
  }, 60_000)
})

describe('--heap-snapshot', () => {
  it('writes a snapshot at the start and at the end and prints the objects that grew', async () => {
    const snaps = dir.file('snaps')
    const r = await runCli(['run', '--file', small, ...REFERENCE_FLAGS, '--heap-snapshot', snaps])
    expect(r.code).toBe(0)
    const files = readdirSync(snaps).sort()
    expect(files).toHaveLength(2)
    expect(files[0]).toMatch(/^heap-\d+-1-start\.heapsnapshot$/)
    expect(files[1]).toMatch(/^heap-\d+-2-end\.heapsnapshot$/)
    expect(r.stderr).toMatch(/\nheap snapshots: 2 written \(.*start\.heapsnapshot, .*end\.heapsnapshot\)\n/)
    expect(r.stderr).toMatch(/constructors with more live objects in the last snapshot than in the first|no constructor has more live objects/)
  }, 60_000)
})

describe('--profile', () => {
  it('writes a self-contained HTML report', async () => {
    const file = dir.file('profile.html')
    const r = await runCli(['run', '--file', small, ...REFERENCE_FLAGS, '--profile', file])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`profile written to ${file}`)
    const html = readFileSync(file, 'utf8')
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html.match(/<svg /g)!.length).toBe(1 + 3 * 6)
    expect(html).not.toMatch(/<script|<link|\s(src|href)=/i)
  })
})

describe('--last-readings', () => {
  it('prints the weak view of each sensor\'s last reading on SIGUSR1, and the run goes on', async () => {
    const cli = startWatched(['run', '--format', 'csv', '--columns', 'ts:time,sensor:string,value:float', '--last-readings', 'sensor'])
    let stderr = ''
    cli.child.stderr!.on('data', (s: string) => { stderr += s })
    cli.child.stdin!.write('1000,dev-1,20.5\n1001,dev-2,21\n1002,dev-1,22.5\n')
    // records are written as they arrive; once they are, the view has seen them
    await cli.until('the three records', text => text.split('\n').length > 3)
    cli.child.kill('SIGUSR1')
    await waitUntil(() => stderr.includes('dev-2'), 'the view on stderr', 10_000)
    expect(stderr).toMatch(/last readings at .*: 2 sensors, \d still in memory \(a weak view: it keeps none alive\)/)
    expect(stderr).toMatch(/ {2}dev-1 {2}(\{"ts":1002,"sensor":"dev-1","value":22\.5\}|\(collected\)) {2}seen [0-9.]+ s ago/)
    cli.child.stdin!.end('1003,dev-3,1\n')
    const r = await cli.result('the exit after stdin ends')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(4)
  }, 30_000)

  it('--last-readings needs a field name', async () => {
    const r = await runCli(['run', '--file', small, ...REFERENCE_FLAGS, '--last-readings', ''])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--last-readings: "key" must name/)
  })
})

describe('pipelines/weak-store.ts', () => {
  it('runs the article\'s scenario: two readings, strong references dropped, gone after clean-up', async () => {
    const r = await runCli(['run', join('pipelines', 'weak-store.ts')])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n')).toEqual([
      'added:           reading-1 = dev-01 21.5 at 2024-01-01T12:00:00.000Z, reading-2 = dev-02 19.25 at 2024-01-01T12:00:00.000Z',
      'add reading-1 again: refused, a live entry is never overwritten',
      'strong references dropped; cleaning up...',
      'after clean-up:  reading-1 = gone, reading-2 = gone',
      'entries swept: 2, entries left: 0, collected in all: 2',
      ''
    ])
  })
})

describe('--help', () => {
  it('lists the memory flags in their own group', async () => {
    const r = await runCli(['run', '--help'])
    expect(r.stdout).toMatch(/Memory:\n/)
    for (const flag of ['--heap-check', '--heap-check-every', '--max-heap', '--heap-snapshot', '--heap-snapshot-every', '--profile', '--last-readings']) {
      expect(r.stdout).toContain(flag)
    }
  })
})
