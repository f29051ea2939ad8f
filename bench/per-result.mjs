#!/usr/bin/env node
// Where the reference job's time goes, per input line and per result line: the job as
// REFERENCE.md gives it (1 s windows) and the same job with 100 s windows (the same parsing,
// filtering and per-record window work, a hundredth of the result lines), each spawned N times
// (default 7) in turn with js-tuned (../shared/bench/js-tuned.mjs, when it is there). The
// difference between the two sensorpipe runs, divided by the difference in result lines, is
// what one result line costs (the window's state, its result columns, its JSON line).
//   node bench/per-result.mjs [FIXTURE] [N]   (needs `npm run build`; default fixture: the 2M one
//                                              in ../shared/bench/fixtures)
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { median, referenceJob } from './reference-job.mjs'

const fixture = process.argv[2] ?? new URL('../../shared/bench/fixtures/sensors-2m.csv', import.meta.url).pathname
const N = Number(process.argv[3] ?? 7)
if (!existsSync(fixture)) {
  process.stderr.write(`per-result: no fixture at ${fixture} (give one, or run ../shared/bench/run-one.sh once to generate it)\n`)
  process.exit(2)
}
const command = new URL('../bin/sensorpipe', import.meta.url).pathname
const jsTuned = new URL('../../shared/bench/js-tuned.mjs', import.meta.url).pathname
const job = (window) => referenceJob(fixture, window)
const cases = [
  ['sensorpipe, 1 s windows', command, job('1s')],
  ['sensorpipe, 100 s windows', command, job('100s')],
  ...(existsSync(jsTuned) ? [['js-tuned (1 s windows)', process.execPath, [jsTuned, fixture]]] : [])
]

const times = cases.map(() => [])
const emitted = cases.map(() => 0)
for (let round = 0; round <= N; round++) { // round 0 warms the page cache and is not counted
  cases.forEach(([label, file, args], k) => {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20 })
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (r.status !== 0) throw new Error(`${label} exited with ${r.status}: ${r.stderr}`)
    const m = /emitted=(\d+)/.exec(r.stderr)
    if (m === null) throw new Error(`${label} printed no summary`)
    emitted[k] = Number(m[1])
    if (round > 0) times[k].push(ms)
  })
}
console.log(`| run (median of ${N}, alternating) | wall ms | result lines |`)
console.log('|---|---:|---:|')
cases.forEach(([label], k) => console.log(`| ${label} | ${median(times[k]).toFixed(1)} | ${emitted[k].toLocaleString('en')} |`))
const perResult = (median(times[0]) - median(times[1])) * 1e6 / (emitted[0] - emitted[1])
console.log(`\nsensorpipe: about ${perResult.toFixed(0)} ns per result line (the 1 s run's extra time over the 100 s run, per extra line)`)
