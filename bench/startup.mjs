#!/usr/bin/env node
// Start-up time of the CLI: median wall time of `sensorpipe --version`, `--help` and a `run` on an
// empty input, each spawned N times (default 10) after one warm-up, compared with `node -e 0`;
// `sensorpipe` is the command npm installs (bin/sensorpipe, a shell script that execs node), and
// `node dist/cli.js --version` is timed too.
//   node bench/startup.mjs [N]      (needs `npm run build` first)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const N = Number(process.argv[2] ?? 10)
const dir = mkdtempSync(join(tmpdir(), 'sp-startup-'))
const empty = join(dir, 'empty.csv')
writeFileSync(empty, '')
const cli = new URL('../dist/cli.js', import.meta.url).pathname
const command = new URL('../bin/sensorpipe', import.meta.url).pathname
const node = process.execPath
const cases = [
  ['node -e 0', node, ['-e', '0']],
  ['node dist/cli.js --version', node, [cli, '--version']],
  ['sensorpipe --version', command, ['--version']],
  ['sensorpipe --help', command, ['--help']],
  ['sensorpipe run (empty input)', command, ['run', '--file', empty, '--columns', 'ts:time,sensor:string,value:float', '--where', 'value >= -40', '--key', 'sensor', '--window', '1s', '--agg', 'count,mean,min,max']]
]
console.log(`| command (median of ${N}) | wall ms | min ms | max ms |`)
console.log('|---|---:|---:|---:|')
for (const [label, file, args] of cases) {
  spawnSync(file, args, { stdio: 'ignore' })
  const times = []
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(file, args, { stdio: 'ignore' })
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (r.status !== 0) throw new Error(`${label} exited with ${r.status}`)
  }
  times.sort((a, b) => a - b)
  const med = N % 2 ? times[(N - 1) / 2] : (times[N / 2 - 1] + times[N / 2]) / 2
  console.log(`| ${label} | ${med.toFixed(1)} | ${times[0].toFixed(1)} | ${times[N - 1].toFixed(1)} |`)
}
rmSync(dir, { recursive: true, force: true })
