// `sensorpipe run pipelines/NAME.ts`: the demo pipelines, and flags overriding their options.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, jsonLines, ROOT, runCli, STACK_FRAME, stderrLines, tempDir } from './helpers.js'

const GREENHOUSE = join(ROOT, 'pipelines', 'greenhouse.ts')
const ALERTS = join(ROOT, 'pipelines', 'jsonl-alerts.ts')
const SENSORS = ['gh-east', 'gh-north', 'gh-propagation', 'gh-roof-vent', 'gh-south', 'gh-west']
// fixtures/greenhouse.csv: 4918 lines, 14 of them malformed (4 truncated, 3 garbled, 3 empty,
// 4 nan) and 4 readings out of range (850 twice, -127, 85); 30 minutes of 6 sensors.
const GREENHOUSE_SUMMARY = 'summary lines=4918 malformed=14 filtered=4 emitted=180'

interface Window { window: number, end: number, sensor: string, count: number, mean_temp: number, min_temp: number, max_temp: number, mean_hum: number }

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

describe('pipelines/greenhouse.ts (npm start)', () => {
  it('prints one line per sensor per minute and the summary', async () => {
    const r = await runCli(['run', 'pipelines/greenhouse.ts', '--summary'])
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.code).toBe(0)
    const out = jsonLines(r.stdout) as Window[]
    expect(out).toHaveLength(180)
    expect(new Set(out.map(w => w.sensor))).toEqual(new Set(SENSORS))
    expect(new Set(out.map(w => w.window)).size).toBe(30)
    for (const w of out) {
      expect(w.window % 60_000).toBe(0)
      expect(w.end - w.window).toBe(60_000)
      expect(w.count).toBeGreaterThan(20)
      expect(w.min_temp).toBeLessThanOrEqual(w.mean_temp)
      expect(w.mean_temp).toBeLessThanOrEqual(w.max_temp)
      // The out-of-range spikes were filtered out before the window.
      expect(w.min_temp).toBeGreaterThanOrEqual(18)
      expect(w.max_temp).toBeLessThanOrEqual(32)
      expect(w.mean_hum).toBeGreaterThanOrEqual(40)
      expect(w.mean_hum).toBeLessThanOrEqual(90)
    }
    expect(stderrLines(r)).toContain(GREENHOUSE_SUMMARY)
  })

  it('finds its fixture relative to the pipeline file, whatever the working directory', async () => {
    const r = await runCli(['run', GREENHOUSE, '--summary'], { cwd: tmp.path })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toHaveLength(180)
    expect(stderrLines(r)).toContain(GREENHOUSE_SUMMARY)
  })

  it('a flag on the command line overrides the option: --window 5m gives 6 windows per sensor', async () => {
    const r = await runCli(['run', 'pipelines/greenhouse.ts', '--window', '5m', '--summary'])
    expect(r.code).toBe(0)
    const out = jsonLines(r.stdout) as Window[]
    expect(out).toHaveLength(36)
    for (const w of out) expect(w.end - w.window).toBe(300_000)
    expect(stderrLines(r)).toContain('summary lines=4918 malformed=14 filtered=4 emitted=36')
  })

  it('--file on the command line replaces the pipeline\'s fixture', async () => {
    const file = tmp.file('two.csv')
    await writeFile(file, '1718431200000,gh-north,20,60\n1718431201000,gh-north,22,58\n')
    const r = await runCli(['run', 'pipelines/greenhouse.ts', '--file', file, '--summary'])
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([
      { window: 1718431200000, end: 1718431260000, sensor: 'gh-north', count: 2, mean_temp: 21, min_temp: 20, max_temp: 22, mean_hum: 59 }
    ])
    expect(stderrLines(r)).toContain('summary lines=2 malformed=0 filtered=0 emitted=1')
  })
})

describe('pipelines/jsonl-alerts.ts', () => {
  it('keeps the JSON lines from stdin whose temp is above 30, unchanged', async () => {
    const input = [
      '{"ts":1,"sensor":"a","temp":29.9}',
      '{"ts":2,"sensor":"b","temp":30.5,"hum":41}',
      '{"ts":3,"sensor":"c","temp":"hot"}',
      '{"ts":4,"sensor":"a","temp":35}'
    ].join('\n') + '\n'
    const r = await runCli(['run', 'pipelines/jsonl-alerts.ts', '--summary'], { input })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ ts: 2, sensor: 'b', temp: 30.5, hum: 41 }, { ts: 4, sensor: 'a', temp: 35 }])
    expect(stderrLines(r)).toContain('summary lines=4 malformed=0 filtered=2 emitted=2')
  })

  it('--where on the command line replaces the pipeline\'s', async () => {
    const r = await runCli(['run', ALERTS, '--where', 'temp < 0'], { input: '{"temp":-3}\n{"temp":31}\n' })
    expect(r.code).toBe(0)
    expect(jsonLines(r.stdout)).toEqual([{ temp: -3 }])
  })
})
