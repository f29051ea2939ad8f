#!/usr/bin/env node
// Writes fixtures/greenhouse.csv: 30 minutes of readings from six greenhouse sensors, as a
// serial logger records them (headerless CSV `ts,sensor,temp,hum`, ts in epoch ms, LF line ends),
// with the defects such logs really have. Deterministic: a seeded PRNG and no dependencies, so
// running it again gives the same bytes and the committed file can be checked against it.
//
//   node scripts/make-greenhouse-fixture.mjs [OUT]    (default fixtures/greenhouse.csv)
//
// Prints what it wrote (lines, defects by kind) to stderr.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { prng } from './prng.mjs'

const outPath = process.argv[2] ?? 'fixtures/greenhouse.csv'

const rand = prng(20240615)
const uniform = (lo, hi) => lo + (hi - lo) * rand()
// Box-Muller; one normal per call is plenty here.
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v))

const START = Date.UTC(2024, 5, 15, 6, 0, 0) // 06:00 UTC, a summer morning
const DURATION = 30 * 60_000

// Each sensor: where it sits sets its base temperature, how fast it warms after sunrise, and
// how dry its air is (the vent and the roof run dry, the propagation bench is misted).
const SENSORS = [
  { id: 'gh-north', base: 19.5, warm: 3.0, wet: 72 },
  { id: 'gh-south', base: 22.0, warm: 6.5, wet: 64 },
  { id: 'gh-east', base: 20.5, warm: 5.0, wet: 68 },
  { id: 'gh-west', base: 20.0, warm: 3.5, wet: 70 },
  { id: 'gh-propagation', base: 24.0, warm: 2.0, wet: 86 },
  { id: 'gh-roof-vent', base: 21.0, warm: 8.5, wet: 60 }
]

// One reading per sensor about every 2 s (1.9 to 2.5 s: the loggers poll on their own clocks).
const readings = []
for (const [n, s] of SENSORS.entries()) {
  let t = START + Math.floor(uniform(0, 2000))
  let tempNoise = 0
  let humNoise = 0
  const phase = uniform(0, 2 * Math.PI)
  while (t < START + DURATION) {
    const x = (t - START) / DURATION // 0..1 through the half hour
    // AR(1) noise: readings wander a little around the trend instead of jumping.
    tempNoise = 0.9 * tempNoise + 0.08 * normal()
    humNoise = 0.9 * humNoise + 0.4 * normal()
    // Warming after sunrise, plus the heating/vent cycle (about 11 minutes).
    const temp = clamp(s.base + s.warm * x + 0.8 * Math.sin(2 * Math.PI * x * 2.7 + phase) + tempNoise, 18, 32)
    // Warmer air holds more water: relative humidity falls as temperature rises.
    const hum = clamp(s.wet - 1.8 * (temp - s.base) + humNoise, 40, 90)
    readings.push({ t, n, text: `${t},${s.id},${temp.toFixed(2)},${hum.toFixed(1)}` })
    t += Math.round(uniform(1900, 2500))
  }
}
// Merge the sensors into arrival order; ties keep sensor order, so the sort is deterministic.
readings.sort((a, b) => a.t - b.t || a.n - b.n)

// Defects at fixed, spread-out positions, each replacing the reading it lands on.
const defects = new Map()
const at = (fraction, kind) => defects.set(Math.floor(readings.length * fraction), kind)
// Out-of-range spikes (the demo's `where` drops them): a thermocouple fault, a DS18B20 that lost
// its data line (-127) and one that reports its power-on value (85) before the first conversion.
at(0.113, 'spike-850'); at(0.642, 'spike-850'); at(0.275, 'spike-minus-127'); at(0.881, 'spike-85')
// Malformed lines, about 0.3 %: a line cut short when the logger was reset, bytes garbled by a
// serial glitch, an empty line, a sensor that printed nan.
at(0.051, 'truncated'); at(0.333, 'truncated'); at(0.712, 'truncated'); at(0.968, 'truncated')
at(0.187, 'garbage'); at(0.455, 'garbage'); at(0.803, 'garbage')
at(0.242, 'empty'); at(0.589, 'empty'); at(0.927, 'empty')
at(0.098, 'nan-temp'); at(0.391, 'nan-hum'); at(0.516, 'nan-temp'); at(0.777, 'nan-temp')

const counts = {}
const lines = []
for (const [i, r] of readings.entries()) {
  const kind = defects.get(i)
  if (kind === undefined) { lines.push(r.text); continue }
  counts[kind] = (counts[kind] ?? 0) + 1
  const [ts, id, temp, hum] = r.text.split(',')
  switch (kind) {
    case 'spike-850': lines.push(`${ts},${id},850.00,${hum}`); break
    case 'spike-minus-127': lines.push(`${ts},${id},-127.00,${hum}`); break
    case 'spike-85': lines.push(`${ts},${id},85.00,${hum}`); break
    case 'truncated': lines.push(r.text.slice(0, Math.floor(r.text.length * uniform(0.3, 0.8)))); break
    case 'garbage': {
      // Line noise overwrote a few bytes inside the timestamp: latin1 keeps them as raw bytes.
      const g = String.fromCharCode(0xff, 0xfe, 0x1b, 0x83)
      lines.push(`${ts.slice(0, 5)}${g}${ts.slice(9)},${id},${temp},${hum}`)
      break
    }
    case 'empty': lines.push(''); break
    case 'nan-temp': lines.push(`${ts},${id},nan,${hum}`); break
    case 'nan-hum': lines.push(`${ts},${id},${temp},nan`); break
  }
}

mkdirSync(dirname(outPath), { recursive: true })
writeFileSync(outPath, lines.join('\n') + '\n', 'latin1')
const malformed = ['truncated', 'garbage', 'empty', 'nan-temp', 'nan-hum'].reduce((n, k) => n + (counts[k] ?? 0), 0)
const spikes = ['spike-850', 'spike-minus-127', 'spike-85'].reduce((n, k) => n + (counts[k] ?? 0), 0)
process.stderr.write(`${outPath}: ${lines.length} lines, ${malformed} malformed, ${spikes} out-of-range (${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')})\n`)
