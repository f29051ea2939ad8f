// `sensorpipe run --port` end to end, on a real pseudo-terminal pair made by socat (needs socat:
// skipped with a note when it is missing, failed under CI=true), plus the serial flags' usage
// errors, which need no port.
import { createReadStream } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, jsonLines, killTracked, runCli, STACK_FRAME, startWatched as start, stderrLines, tempDir } from './helpers.js'
import { HAS_SOCAT, PtyPair, SOCAT_MISSING } from './serial-pty.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

const CI = process.env.CI === 'true'
if (!HAS_SOCAT) console.warn(`test/cli/serial.test.ts: ${SOCAT_MISSING}${CI ? '' : ' (skipped)'}`)
const describeWithSocat = HAS_SOCAT || CI ? describe : describe.skip

/** The events the CLI wrote to stdout (with --emit-events), in order. */
function eventsOf (stdout: string): string[] {
  return (jsonLines(stdout) as Array<{ event?: string }>).filter(r => r.event !== undefined).map(r => r.event!)
}

const count = (text: string, needle: string): number => text.split(needle).length - 1

describeWithSocat('sensorpipe run --port (a socat pty pair; needs socat)', () => {
  let pty: PtyPair
  let n = 0
  afterEach(async () => {
    killTracked()
    await pty?.stop()
  })

  it('gives the lines written into the other end, dropping the partial line it attached in the middle of', async () => {
    pty = new PtyPair(tmp.path, `t${n++}`)
    await pty.start()
    const cli = start(['run', '--port', pty.b, '--baud', '115200', '--format', 'kv', '--emit-events', '--summary'])
    await cli.until('the connected event', text => text.includes('"event":"connected"'))
    pty.write('=19.5 (the end of a line sent before the open)\ntemp=20.5 hum=40\n')
    pty.write('temp=21 hum=41\n')
    await cli.until('the record temp=21', text => text.includes('"temp":21'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code, `signal ${r.signal}, stderr: ${r.stderr}`).toBe(130)
    const records = jsonLines(r.stdout) as Array<Record<string, unknown>>
    expect(records.filter(x => x.event === undefined)).toEqual([{ temp: 20.5, hum: 40 }, { temp: 21, hum: 41 }])
    expect(records[0]).toMatchObject({ event: 'connected', path: pty.b })
    expect(stderrLines(r)).toEqual([
      'summary lines=2 malformed=0 filtered=0 emitted=2',
      'serial disconnects=0 reconnects=0 dropped-cut=0 dropped-first=1 dropped-overflow=0'
    ])
  })

  it('survives socat being killed and restarted three times: every line written while the port was open arrives, three reconnects are reported', async () => {
    pty = new PtyPair(tmp.path, `t${n++}`)
    await pty.start()
    const cli = start(['run', '--port', pty.b, '--format', 'kv', '--keep-first-line', '--reconnect-min', '20ms', '--reconnect-max', '200ms',
      '--emit-events', '--summary'])
    const sent: number[] = []
    for (let phase = 0; phase < 4; phase++) {
      await cli.until(`open number ${phase + 1}`, all => count(all, '"event":"connected"') + count(all, '"event":"reconnected"') > phase)
      const seqs = Array.from({ length: 10 }, (_, i) => phase * 10 + i)
      sent.push(...seqs)
      // The last phase ends cleanly; the others end in the middle of a line.
      pty.write(seqs.map(s => `seq=${s} phase=${phase}\n`).join('') + (phase < 3 ? `seq=${phase * 10 + 9}` : ''))
      await cli.until(`the lines of phase ${phase}`, all => all.includes(`{"seq":${phase * 10 + 9},"phase":${phase}}`))
      if (phase < 3) {
        await new Promise(resolve => setTimeout(resolve, 100)) // the unfinished line is read too
        await pty.stop()
        await cli.until(`disconnect number ${phase + 1}`, all => count(all, '"event":"disconnected"') > phase)
        await pty.start()
      }
    }
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code, `signal ${r.signal}, stderr: ${r.stderr}`).toBe(130)
    const records = jsonLines(r.stdout) as Array<Record<string, unknown>>
    // Every line, in order, none glued to the unfinished line before a disconnect.
    expect(records.filter(x => x.event === undefined).map(x => x.seq)).toEqual(sent)
    expect(eventsOf(r.stdout)).toEqual(['connected', 'disconnected', 'reconnected', 'disconnected', 'reconnected', 'disconnected', 'reconnected', 'closed'])
    for (const e of records.filter(x => x.event === 'disconnected')) expect(e).toMatchObject({ path: pty.b, partial: expect.stringMatching(/^seq=\d?9$/) })
    expect(stderrLines(r)).toEqual([
      'summary lines=40 malformed=0 filtered=0 emitted=40',
      'serial disconnects=3 reconnects=3 dropped-cut=3 dropped-first=0 dropped-overflow=0'
    ])
  }, 60_000)

  it('Ctrl-C flushes the open window and prints the summary', async () => {
    pty = new PtyPair(tmp.path, `t${n++}`)
    await pty.start()
    const cli = start(['run', '--port', pty.b, '--format', 'kv', '--keep-first-line', '--window', '1s', '--time', 'ts', '--agg', 'count,max:v',
      '--emit-events', '--summary'])
    await cli.until('the connected event', text => text.includes('"event":"connected"'))
    pty.write('ts=1000 v=1\nts=1500 v=2\nts=2100 v=3\n')
    await cli.until('the window of 1000', text => text.includes('"window":1000'))
    cli.child.kill('SIGINT')
    const r = await cli.result('the exit after SIGINT')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code, `signal ${r.signal}, stderr: ${r.stderr}`).toBe(130)
    expect(jsonLines(r.stdout).filter(x => (x as { event?: string }).event === undefined)).toEqual([
      { window: 1000, end: 2000, count: 2, max_v: 2 },
      { window: 2000, end: 3000, count: 1, max_v: 3 } // the open window, flushed on SIGINT
    ])
    expect(eventsOf(r.stdout)).toEqual(['connected', 'closed'])
    expect(stderrLines(r)).toEqual([
      'summary lines=3 malformed=0 filtered=0 emitted=2',
      'serial disconnects=0 reconnects=0 dropped-cut=0 dropped-first=0 dropped-overflow=0'
    ])
  })

  it('sends --init after opening and --poll every --every (escapes decoded), and keeps a polled device\'s first reply', async () => {
    pty = new PtyPair(tmp.path, `t${n++}`)
    await pty.start()
    // What the CLI sends comes out of end a.
    const heard = createReadStream(pty.a)
    let text = ''
    const twoPolls = new Promise<void>(resolve => {
      heard.on('data', (c: Buffer | string) => { text += c.toString(); if (count(text, 'READ?\r\n') >= 2) resolve() })
    })
    heard.on('error', () => {})
    const cli = start(['run', '--port', pty.b, '--format', 'kv', '--init', 'START\\r\\n', '--poll', 'READ?\\r\\n', '--every', '100ms', '--emit-events'])
    await cli.until('the connected event', text => text.includes('"event":"connected"'))
    await twoPolls
    heard.destroy()
    expect(text.startsWith('START\r\nREAD?\r\nREAD?\r\n')).toBe(true)
    pty.write('temp=20.5\n')
    await cli.until('the record temp=20.5', text => text.includes('"temp":20.5'))
    cli.child.kill('SIGINT')
    expect((await cli.result('the exit after SIGINT')).code).toBe(130)
  })

  it('with --reconnect-attempts 2 gives up with a one-line error after the lines read before', async () => {
    pty = new PtyPair(tmp.path, `t${n++}`)
    await pty.start()
    const cli = start(['run', '--port', pty.b, '--format', 'kv', '--keep-first-line', '--reconnect-attempts', '2', '--reconnect-min', '10ms',
      '--reconnect-max', '20ms', '--emit-events'])
    await cli.until('the connected event', text => text.includes('"event":"connected"'))
    pty.write('v=1\n')
    await cli.until('the record v=1', text => text.includes('"v":1'))
    await pty.stop()
    const r = await cli.result('the exit after giving up')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(1)
    expect(jsonLines(r.stdout).filter(x => (x as { event?: string }).event === undefined)).toEqual([{ v: 1 }])
    // The reason in parentheses is the system's: "bad file descriptor" or "the device hung up (end of file)".
    expect(stderrLines(r)).toHaveLength(1)
    expect(r.stderr).toMatch(new RegExp(`^sensorpipe: ${pty.b} disconnected \\(.+\\) and did not come back after 2 attempts \\(cannot open ${pty.b}: no such port \\(see: sensorpipe list\\)\\)\n$`))
  })
})

describe('sensorpipe run --port: errors that need no device', () => {
  it('a missing port is a one-line error, exit 1', async () => {
    const r = await runCli(['run', '--port', tmp.file('no-such-tty'), '--format', 'kv'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`sensorpipe: cannot open ${tmp.file('no-such-tty')}: no such port (see: sensorpipe list)\n`)
  })

  it('a file that is not a terminal is a one-line error, exit 1', async () => {
    const r = await runCli(['run', '--port', '/dev/null', '--format', 'kv'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('sensorpipe: cannot open /dev/null: not a serial port\n')
  })

  it.each([
    [['--baud', '9600'], 'sensorpipe: --baud needs --port'],
    [['--init', 'GO', '--keep-first-line'], 'sensorpipe: --init, --keep-first-line need --port'],
    [['--port', '/dev/x', '--file', 'in.txt'], 'sensorpipe: give one source: --port or --file'],
    [['--port', '/dev/x', '--replay', 'rec.jsonl'], 'sensorpipe: give one source: --port or --replay'],
    [['--port', '/dev/x', '--every', '1s'], 'sensorpipe: --every needs --poll STRING'],
    [['--port', '/dev/x', '--init', 'a\\q'], 'sensorpipe: "init": unknown escape \\q (use \\r, \\n, \\t, \\0, \\\\ or \\xHH)'],
    [['--port', '/dev/x', '--reconnect-min', 'soon'], 'sensorpipe: "reconnect-min" must be a duration such as 500ms, 1s, 5m, 1h or 1d, got "soon"'],
    [['--port', '/dev/x', '--reconnect-jitter', '3'], 'sensorpipe: "reconnectJitter" must be a number from 0 to 1, got 3'],
    [['--port', '/dev/x', '--emit-events', '--output-format', 'csv', '--columns', 'v:float'], 'sensorpipe: --emit-events writes JSON lines: it needs --output-format jsonl'],
    [['--emit-events'], 'sensorpipe: --emit-events needs --port or --replay'],
    [['--speed', '2'], 'sensorpipe: --speed needs --replay']
  ])('%j is a usage error: %s', async (args, message) => {
    const r = await runCli(['run', '--format', 'kv', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(message + '\n')
  })

  it('--overflow takes only the named policies', async () => {
    const r = await runCli(['run', '--port', '/dev/x', '--overflow', 'sliding'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Invalid values')
    expect(r.stderr).toContain('drop-oldest')
  })
})
