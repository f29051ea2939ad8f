// `sensorpipe record`, `sensorpipe replay` and `sensorpipe run --replay` end to end: a recording
// replays as the lines that were recorded, and a pipeline on a replay gives what it gave live.
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, finished, jsonLines, killTracked, REFERENCE_FLAGS, runCli, sorted, STACK_FRAME, startCli, startWatched as start, stderrLines, tempDir, track } from './helpers.js'
import { HAS_SOCAT, PtyPair, SOCAT_MISSING } from './serial-pty.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let n = 0
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

afterEach(killTracked)

const CI = process.env.CI === 'true'
if (!HAS_SOCAT) console.warn(`test/cli/record-replay.test.ts: ${SOCAT_MISSING}${CI ? '' : ' (skipped)'}`)
const describeWithSocat = HAS_SOCAT || CI ? describe : describe.skip

const CSV = [
  '1700000000100,dev-a,20.5\r\n',
  '1700000000200,dev-b,30\r\n',
  '1700000000700,dev-a,21.5\n',
  '1700000000800,dev-a\n', // malformed
  '1700000000900,dev-b,126\n', // filtered
  '1700000001100,dev-a,10\n',
  '1700000001200,dev-b,-40\n',
  '1700000001300,dev-b,125\n'
].join('')

interface Entry { t: number, at: number, line?: string, event?: string }

/** The header and entries of a recording file. */
async function readRecording (path: string): Promise<{ header: Record<string, unknown>, entries: Entry[] }> {
  const [header, ...entries] = jsonLines(await readFile(path, 'utf8'))
  return { header: header as Record<string, unknown>, entries: entries as Entry[] }
}

describe('record a file, then replay it', () => {
  let rec: string
  let input: string
  beforeAll(async () => {
    input = tmp.file('tiny.csv')
    await writeFile(input, CSV)
    rec = tmp.file('tiny.rec.jsonl')
    const r = await runCli(['record', '--file', input, '--out', rec])
    expect(r.stderr).toBe(`recorded 8 lines to ${rec}\n`)
    expect(r.code).toBe(0)
  })

  it('record writes the documented fixture format: a header, then one entry per line with its times', async () => {
    const { header, entries } = await readRecording(rec)
    expect(header).toEqual({ sensorpipe: 'recording', version: 1, started: expect.any(String), source: input })
    expect(entries.map(e => e.line)).toEqual(CSV.trimEnd().split(/\r?\n/))
    for (const e of entries) expect(e).toEqual({ t: expect.any(Number), at: expect.any(Number), line: expect.any(String) })
  })

  it('replay writes the recorded lines back', async () => {
    const r = await runCli(['replay', rec, '--max-speed'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(CSV.replaceAll('\r\n', '\n'))
  })

  it('run --replay gives the same output as run --file on the original', async () => {
    const live = await runCli(['run', '--file', input, ...REFERENCE_FLAGS])
    const replayed = await runCli(['run', '--replay', rec, '--max-speed', ...REFERENCE_FLAGS])
    expect(replayed.stderr).not.toContain(STACK_FRAME)
    expect(replayed.code).toBe(0)
    expect(jsonLines(live.stdout)).toHaveLength(4)
    expect(sorted(jsonLines(replayed.stdout))).toEqual(sorted(jsonLines(live.stdout)))
    expect(stderrLines(replayed)).toEqual(stderrLines(live))
  })

  it('records standard input too', async () => {
    const out = tmp.file('stdin.rec.jsonl')
    const r = await runCli(['record', '--out', out], { input: 'a=1\nb=2\n' })
    expect(r.code).toBe(0)
    const { header, entries } = await readRecording(out)
    expect(header.source).toBe('stdin')
    expect(entries.map(e => e.line)).toEqual(['a=1', 'b=2'])
  })
})

describe('replay pacing', () => {
  // Three lines at 0, 200 and 400 ms, then one 30 s later.
  let rec: string
  beforeAll(async () => {
    rec = tmp.file('paced.rec.jsonl')
    const entries = [[0, 'a'], [200, 'b'], [400, 'c'], [30_400, 'd']].map(([t, line]) => JSON.stringify({ t, at: 1_700_000_000_000 + Number(t), line }))
    await writeFile(rec, ['{"sensorpipe":"recording","version":1,"started":"2023-11-14T22:13:20.000Z","source":"/dev/ttyUSB0"}', ...entries].join('\n') + '\n')
  })

  it('--speed and --max-gap: a 30.4 s recording at 4x with silences capped to 1 s takes about 0.4 s', async () => {
    const started = Date.now()
    const r = await runCli(['replay', rec, '--speed', '4', '--max-gap', '1s'])
    const took = Date.now() - started
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('a\nb\nc\nd\n')
    expect(took).toBeGreaterThanOrEqual(350) // (400 + 1000) / 4 ms of waiting at least
    expect(took).toBeLessThan(15_000) // and nowhere near 30 s
  })

  it('--loop plays again until Ctrl-C, then exits 130', async () => {
    const cli = start(['replay', rec, '--max-speed', '--loop'])
    await cli.until('the third play of the recording', text => text.split('d\n').length > 3)
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.code).toBe(130)
    expect(r.stderr).toBe('')
    expect(r.stdout.startsWith('a\nb\nc\nd\na\nb\nc\nd\na\n')).toBe(true)
  })

  it('a file that is not a recording is a one-line error', async () => {
    const bad = tmp.file('not-a-recording.csv')
    await writeFile(bad, CSV)
    const r = await runCli(['replay', bad])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`sensorpipe: ${bad} is not a sensorpipe recording (its first line should be {"sensorpipe":"recording","version":1,...})\n`)
    const run = await runCli(['run', '--replay', bad, '--format', 'csv', '--columns', 'ts:time,sensor:string,value:float'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(r.stderr)
  })

  it('a bad --speed is a usage error', async () => {
    const r = await runCli(['replay', rec, '--speed', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('sensorpipe: "speed" must be a positive number, got 0\n')
  })
})

describe('record stopped with Ctrl-C', () => {
  it('closes the recording cleanly with every line already received', async () => {
    const out = tmp.file(`ctrl-c-${n++}.rec.jsonl`)
    const child = track(startCli(['record', '--out', out]))
    const result = finished(child)
    child.stdin!.write('v=1\nv=2\nv=3\n')
    for (let i = 0; i < 500; i++) {
      const text = await readFile(out, 'utf8').catch(() => '')
      if (text.includes('"v=3"')) break
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    child.kill('SIGINT')
    const r = await result
    expect(r.code).toBe(130)
    expect(r.stderr).toBe(`recorded 3 lines to ${out}\n`)
    const { entries } = await readRecording(out)
    expect(entries.map(e => e.line)).toEqual(['v=1', 'v=2', 'v=3'])
  })
})

describeWithSocat('record --port, then replay (a socat pty pair; needs socat)', () => {
  let pty: PtyPair
  afterEach(async () => {
    killTracked()
    await pty?.stop()
  })

  const WINDOW_FLAGS = ['--format', 'kv', '--window', '1s', '--time', 'ts', '--key', 'sensor', '--agg', 'count,mean:v,max:v']
  const data = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `ts=${1000 + (from + i) * 250} sensor=s${(from + i) % 2} v=${from + i}\n`).join('')

  /** Feeds the same readings to a CLI on the port, with one disconnect in the middle; returns its result. */
  async function feed (argsFor: (port: string) => string[]): Promise<Awaited<ReturnType<typeof finished>>> {
    pty = new PtyPair(tmp.path, `rr${n++}`)
    await pty.start()
    const args = argsFor(pty.b)
    const child = track(startCli(args))
    const result = finished(child)
    const ready = async (events: number): Promise<void> => {
      // record has no stdout: wait for the recording (or the run's events) to show the opens.
      for (let i = 0; i < 500; i++) {
        const text = args[0] === 'record' ? await readFile(args[args.indexOf('--out') + 1]!, 'utf8').catch(() => '') : seen
        if ((text.match(/"event":"(re)?connected"/g) ?? []).length >= events) return
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      throw new Error('the port did not open')
    }
    let seen = ''
    child.stdout!.on('data', (c: Buffer) => { seen += c.toString() })
    await ready(1)
    pty.write(data(0, 10))
    await new Promise(resolve => setTimeout(resolve, 200))
    await pty.stop()
    await pty.start()
    await ready(2)
    pty.write(data(10, 20))
    await new Promise(resolve => setTimeout(resolve, 200))
    child.kill('SIGINT')
    const r = await result
    await pty.stop()
    return r
  }

  it('replaying a recording with event time gives the same windows as the live run did', async () => {
    const reconnect = ['--keep-first-line', '--reconnect-min', '20ms', '--reconnect-max', '100ms']
    const live = await feed(port => ['run', '--port', port, ...WINDOW_FLAGS, ...reconnect, '--emit-events', '--summary'])
    expect(live.code).toBe(130)
    const rec = tmp.file('live.rec.jsonl')
    const recorded = await feed(port => ['record', '--port', port, '--out', rec, ...reconnect])
    expect(recorded.stderr).not.toContain(STACK_FRAME)
    expect(recorded.code).toBe(130)
    expect(recorded.stderr).toBe(`recorded 20 lines (1 disconnect) to ${rec}\n`)
    const { header, entries } = await readRecording(rec)
    expect(header).toMatchObject({ sensorpipe: 'recording', version: 1, baudRate: 9600 })
    expect(entries.filter(e => e.event !== undefined).map(e => e.event)).toEqual(['connected', 'disconnected', 'reconnected', 'closed'])
    expect(entries.filter(e => e.line !== undefined).map(e => e.line)).toEqual(data(0, 20).trimEnd().split('\n'))

    const replayed = await runCli(['run', '--replay', rec, '--max-speed', ...WINDOW_FLAGS, '--emit-events'])
    expect(replayed.code).toBe(0)
    const records = (text: string): unknown[] => sorted(jsonLines(text).filter(x => (x as { event?: string }).event === undefined))
    expect(records(replayed.stdout)).toEqual(records(live.stdout))
    expect(records(live.stdout)).toHaveLength(10) // 5 seconds of readings, 2 sensors
    const eventsOf = (text: string): unknown[] => jsonLines(text).flatMap(x => (x as { event?: string }).event ?? [])
    expect(eventsOf(replayed.stdout)).toEqual(eventsOf(live.stdout))

    const raw = await runCli(['replay', rec, '--max-speed'])
    expect(raw.stdout).toBe(data(0, 20))
  }, 60_000)
})
