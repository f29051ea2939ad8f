// The window options of a run (one per CLI flag) as runPipeline wires them.
import { readFile } from 'node:fs/promises'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPipeline, ConfigError, type PipelineOptions, runPipeline } from '../../src/index.js'
import { tempDir } from '../helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { tmp = await tempDir() })
afterAll(async () => { await tmp.remove() })

const CSV = ['1000,a,1', '1500,b,2', '2200,a,3', '1900,a,10', '1100,b,20', '3500,a,4', ''].join('\n')
const COLUMNS: PipelineOptions = { format: 'csv', columns: 'ts:time,sensor:string,value:float', key: 'sensor' }

async function run (options: PipelineOptions): Promise<{ out: Array<Record<string, unknown>>, summary: Awaited<ReturnType<typeof runPipeline>> }> {
  const stdout = new PassThrough()
  let text = ''
  stdout.on('data', (c: Buffer) => { text += c.toString() })
  const summary = await runPipeline({ ...COLUMNS, ...options }, { stdin: Readable.from([Buffer.from(CSV)]), stdout })
  return { out: text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Record<string, unknown>), summary }
}

describe('window options of a run', () => {
  it('--window alone: late records are dropped and counted in the summary', async () => {
    const { out, summary } = await run({ window: '1s', agg: 'count,sum' })
    expect(out).toEqual([
      { window: 1000, end: 2000, sensor: 'a', count: 1, sum: 1 },
      { window: 1000, end: 2000, sensor: 'b', count: 1, sum: 2 },
      { window: 2000, end: 3000, sensor: 'a', count: 1, sum: 3 },
      { window: 3000, end: 4000, sensor: 'a', count: 1, sum: 4 }
    ])
    expect(summary.window).toMatchObject({ late: 2, lateDropped: 2, partial: 1 })
  })

  it('--allowed-lateness puts out-of-order readings in their window', async () => {
    const { out } = await run({ window: '1s', agg: 'count,sum', allowedLateness: '1s' })
    expect(out.filter(r => r.window === 1000)).toEqual([
      { window: 1000, end: 2000, sensor: 'a', count: 2, sum: 11 },
      { window: 1000, end: 2000, sensor: 'b', count: 2, sum: 22 }
    ])
  })

  it('--late-output writes late records as JSON lines', async () => {
    const lateFile = tmp.file('late.jsonl')
    await run({ window: '1s', lateOutput: lateFile })
    expect((await readFile(lateFile, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as unknown)).toEqual([
      { ts: 1900, sensor: 'a', value: 10 }, { ts: 1100, sensor: 'b', value: 20 }
    ])
  })

  it('--late update re-emits corrected windows with a revision', async () => {
    const { out } = await run({ window: '1s', agg: 'count', late: 'update' })
    expect(out.filter(r => r.window === 1000 && r.sensor === 'a')).toEqual([
      { window: 1000, end: 2000, sensor: 'a', count: 1, revision: 0 },
      { window: 1000, end: 2000, sensor: 'a', count: 2, revision: 1 }
    ])
  })

  it('--slide and --session pick the window kind; --mark-partial marks results', async () => {
    const sliding = await run({ window: '2s', slide: '1s', allowedLateness: '1s', agg: 'count' })
    expect(sliding.out.filter(r => r.sensor === 'b')).toEqual([
      { window: 0, end: 2000, sensor: 'b', count: 2 }, { window: 1000, end: 3000, sensor: 'b', count: 2 }
    ])
    const sessions = await run({ session: '1s', allowedLateness: '2s', agg: 'count', markPartial: true })
    // a: 1900 bridges the sessions of 1000 and 2200; 3500 is more than the gap after 2200. The
    // watermark ends at 1500, so every session is flushed at the end, partial, in order of start.
    expect(sessions.out).toEqual([
      { window: 1000, end: 3200, sensor: 'a', count: 3, partial: true },
      { window: 1100, end: 2500, sensor: 'b', count: 2, partial: true },
      { window: 3500, end: 4500, sensor: 'a', count: 1, partial: true }
    ])
  })

  it('rejects combinations that do not make sense, naming the flags', () => {
    const bad: Array<[PipelineOptions, RegExp]> = [
      [{ window: '1s', session: '5s' }, /--window and --session/],
      [{ session: '5s', slide: '1s' }, /--slide/],
      [{ window: '10', slide: '1s' }, /--slide applies to windows by time/],
      [{ window: '10', allowedLateness: '1s' }, /--allowed-lateness/],
      [{ window: '1s', late: 'emit' }, /--late emit needs --late-output/],
      [{ window: '1s', late: 'update', lateOutput: 'x' }, /--late-output goes with --late emit/],
      [{ slide: '1s' }, /--slide needs --window or --session/],
      [{ idleTimeout: '5s' }, /--idle-timeout needs --window/],
      [{ markPartial: true }, /--mark-partial needs --window/]
    ]
    const { key: _key, ...noKey } = COLUMNS
    for (const [o, re] of bad) expect(() => buildPipeline({ ...noKey, ...o }), JSON.stringify(o)).toThrow(re)
    for (const [o] of bad) expect(() => buildPipeline({ ...noKey, ...o })).toThrow(ConfigError)
    expect(() => buildPipeline({ ...COLUMNS, window: '1s', allowedLateness: 'later' })).toThrow(/"allowedLateness"/)
    expect(() => buildPipeline({ ...COLUMNS, window: '1s', slide: '2s' })).toThrow(/"slide"/)
  })
})
