// fixtures/greenhouse.csv is committed, and made by scripts/make-greenhouse-fixture.mjs: the two
// must agree, and the file must keep the properties the demo and its tests rely on.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURE = join(ROOT, 'fixtures', 'greenhouse.csv')
const SCRIPT = join(ROOT, 'scripts', 'make-greenhouse-fixture.mjs')
const READING = /^([0-9]{13}),(gh-[a-z-]+),(-?[0-9]+\.[0-9]{2}),([0-9]+\.[0-9])$/

let dir: string
let committed: Buffer
let lines: string[]
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorpipe-fixture-test-'))
  committed = await readFile(FIXTURE)
  lines = committed.toString('latin1').split('\n')
  expect(lines.pop()).toBe('') // the file ends with a newline
})
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('fixtures/greenhouse.csv', () => {
  it('is exactly what the script generates (the script is deterministic)', async () => {
    const out = join(dir, 'greenhouse.csv')
    await promisify(execFile)(process.execPath, [SCRIPT, out])
    expect((await readFile(out)).equals(committed)).toBe(true)
  })

  it('is small: a few thousand lines, under 300 KB', () => {
    expect(lines.length).toBeGreaterThanOrEqual(2000)
    expect(lines.length).toBeLessThanOrEqual(5000)
    expect(committed.length).toBeLessThan(300_000)
  })

  it('has timestamps that never decrease, over about 30 minutes', () => {
    const ts = lines.map(l => READING.exec(l)).filter(m => m !== null).map(m => Number(m[1]))
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]!)
    expect(ts.at(-1)! - ts[0]!).toBeGreaterThan(29 * 60_000)
    expect(ts.at(-1)! - ts[0]!).toBeLessThanOrEqual(30 * 60_000)
  })

  it('has six sensors, each read about every 2 s, in realistic ranges apart from a few spikes', () => {
    const bySensor = new Map<string, number>()
    let spikes = 0
    for (const l of lines) {
      const m = READING.exec(l)
      if (m === null) continue
      bySensor.set(m[2]!, (bySensor.get(m[2]!) ?? 0) + 1)
      const temp = Number(m[3])
      const hum = Number(m[4])
      if (temp < 18 || temp > 32) { spikes++; continue }
      expect(hum).toBeGreaterThanOrEqual(40)
      expect(hum).toBeLessThanOrEqual(90)
    }
    expect([...bySensor.keys()].sort()).toEqual(['gh-east', 'gh-north', 'gh-propagation', 'gh-roof-vent', 'gh-south', 'gh-west'])
    for (const n of bySensor.values()) expect(n).toBeGreaterThan(700) // 30 min / 2.2 s ≈ 818
    expect(spikes).toBe(4)
  })

  it('has about 0.3 % malformed lines: truncated, garbled, empty and nan', () => {
    const bad = lines.filter(l => !READING.test(l))
    expect(bad.length / lines.length).toBeGreaterThan(0.002)
    expect(bad.length / lines.length).toBeLessThan(0.004)
    expect(bad.filter(l => l === '')).toHaveLength(3)
    expect(bad.filter(l => /,nan(,|$)/.test(l))).toHaveLength(4)
    expect(bad.filter(l => /[\x80-\xff]/.test(l))).toHaveLength(3)
  })
})
