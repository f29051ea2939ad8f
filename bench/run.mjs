#!/usr/bin/env node
// The reference-job benchmark: `npm run bench`.
//
// With ../shared/bench beside the project (the team's harness): its correctness gate, then
// sensorpipe timed exactly as the peers were (run-one.sh, paired with js-tuned), on the 2M and the
// 20M fixture, printed beside the peers' figures from its RESULTS.md.
// Without it: a 2M-line fixture of the same shape is generated into bench/out/ and sensorpipe is
// timed alone (median of 3 runs after a warm-up; wall time and peak RSS).
//
//   npm run bench                 both fixtures (about a minute)
//   BENCH_QUICK=1 npm run bench   2M fixture only
//   BENCH_THREADS=2 npm run bench the same with --threads 2 (parsing on a worker thread)
//   BENCH_NODE=1 npm run bench    times `node dist/cli.js` instead of the `sensorpipe` command
//                                 (bin/sensorpipe, which runs it with --v8-pool-size=1)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { referenceJob } from './reference-job.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const shared = join(root, '..', 'shared', 'bench')
const cli = join(root, 'dist', 'cli.js')
if (!existsSync(cli)) { console.error('bench: build first (npm run build)'); process.exit(2) }
// The command timed: what a user runs (`sensorpipe`, the shell script npm installs), or node
// with the bundle directly.
const COMMAND = process.env.BENCH_NODE ? [process.execPath, cli] : [join(root, 'bin', 'sensorpipe')]
const ARGS = [...referenceJob(), ...(process.env.BENCH_THREADS ? ['--threads', process.env.BENCH_THREADS] : [])]
const LABEL = `${process.env.BENCH_NODE ? 'node dist/cli.js' : 'sensorpipe'}${process.env.BENCH_THREADS ? ` --threads ${process.env.BENCH_THREADS}` : ''}`

if (existsSync(join(shared, 'run-one.sh'))) withHarness()
else alone()

function withHarness () {
  const rows = []
  const runs = [['2m', []], ...(process.env.BENCH_QUICK ? [] : [['20m', ['--fixture', '20m', '-n', '1', '--warmup', '0', '--no-check']]])]
  for (const [fixture, extra] of runs) {
    console.error(`bench: reference job on the ${fixture} fixture (run-one.sh --vs js-tuned)...`)
    const r = spawnSync(join(shared, 'run-one.sh'), ['--normalize', '--label', `${LABEL} ${fixture}`, '--vs', 'js-tuned', ...extra, '--', ...COMMAND, ...ARGS],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    process.stderr.write(r.stdout.split('\n').filter(l => /median A\/js-tuned|ALL AGREE|FAIL|summary/.test(l)).join('\n') + '\n')
    if (r.status !== 0) { process.stderr.write(r.stdout + r.stderr); process.exit(r.status ?? 1) }
    const row = r.stdout.split('\n').filter(l => l.startsWith(`| ${LABEL}`)).pop()
    const ratio = /median A\/js-tuned: ([0-9.]+)/.exec(r.stdout)?.[1]
    rows.push({ fixture, row, ratio })
  }
  // The peers, from the harness's latest results.
  const results = readFileSync(join(shared, 'RESULTS.md'), 'utf8').split('\n')
  const head = results.findIndex(l => l.startsWith('| peer'))
  console.log('| command | 2M wall s | 2M lines/s | 2M peak RSS MiB | 20M wall s | 20M lines/s | 20M peak RSS MiB | × js-tuned (2M, 20M) |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|')
  const cell = (row, i) => row?.split('|').map(s => s.trim())[i] ?? ''
  const sp2 = rows.find(r => r.fixture === '2m'); const sp20 = rows.find(r => r.fixture === '20m')
  console.log(`| **${LABEL}** | ${cell(sp2?.row, 2)} | ${cell(sp2?.row, 4)} | ${cell(sp2?.row, 6)} | ${cell(sp20?.row, 2)} | ${cell(sp20?.row, 4)} | ${cell(sp20?.row, 6)} | ${sp2?.ratio ?? ''}, ${sp20?.ratio ?? 'n/a'} |`)
  if (head >= 0) {
    for (const l of results.slice(head + 2)) {
      if (!l.startsWith('|')) break
      const c = l.split('|').map(s => s.trim())
      console.log(`| ${c[1]} | ${c[2]} | ${c[5]} | ${c[7]} | ${c[8]} | ${c[9]} | ${c[10]} | ${c[12]} |`)
    }
  }
  console.log('\n(peers: ../shared/bench/RESULTS.md; sensorpipe: measured now, run-one.sh, median of 3 on 2M, one run on 20M)')
}

function alone () {
  const out = join(root, 'bench', 'out')
  mkdirSync(out, { recursive: true })
  const file = join(out, 'sensors-2m.csv')
  if (!existsSync(file)) {
    console.error('bench: ../shared/bench not found; generating bench/out/sensors-2m.csv')
    writeFileSync(file, generate(2_000_000))
  }
  const lines = 2_000_000
  const args = ARGS.map(a => a === '{}' ? file : a)
  const timed = []
  for (let i = 0; i < 4; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...COMMAND, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    if (r.error || r.status !== 0) {
      // No /usr/bin/time: wall time only.
      const t1 = process.hrtime.bigint()
      spawnSync(COMMAND[0], [...COMMAND.slice(1), ...args], { stdio: 'ignore' })
      timed.push({ wall: Number(process.hrtime.bigint() - t1) / 1e9, rss: NaN })
      continue
    }
    const rss = Number(r.stderr.trim().split('\n').pop()) / 1024
    if (i > 0) timed.push({ wall, rss })
  }
  timed.sort((a, b) => a.wall - b.wall)
  const med = timed[Math.floor(timed.length / 2)]
  console.log('| command | input | wall s (median of 3) | lines/s | MB/s | peak RSS MiB |')
  console.log('|---|---|---:|---:|---:|---:|')
  console.log(`| ${LABEL} | ${lines.toLocaleString('en')} generated lines | ${med.wall.toFixed(3)} | ${(lines / med.wall / 1e6).toFixed(2)} M | ${(statSync(file).size / med.wall / 1e6).toFixed(1)} | ${med.rss.toFixed(1)} |`)
}

// A fixture of the reference job's shape: 64 sensors, ts 1 ms apart on average, values wandering
// in 15..35 with two decimals, a few malformed and out-of-range lines. Deterministic.
function generate (n) {
  let seed = 0x5eed
  const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296 }
  const walk = Array.from({ length: 64 }, () => 20 + 10 * rnd())
  const parts = []
  let ts = 1700000000000
  for (let i = 0; i < n; i++) {
    ts += Math.floor(rnd() * 3)
    const s = Math.floor(rnd() * 64)
    walk[s] = Math.min(35, Math.max(15, walk[s] + (rnd() - 0.5) * 0.2))
    const r = rnd()
    const id = `dev-${String(s).padStart(2, '0')}`
    if (r < 0.001) parts.push(`${ts},${id}`)
    else if (r < 0.006) parts.push(`${ts},${id},999`)
    else parts.push(`${ts},${id},${walk[s].toFixed(2)}`)
  }
  return parts.join('\n') + '\n'
}
