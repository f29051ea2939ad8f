#!/usr/bin/env node
// Latency on a live source: lines written at a steady rate into one end of a socat pty pair,
// read by `sensorpipe run --port <other end>` with no window; for each line, the time from its
// write to its JSON line on sensorpipe's stdout. Prints the median, p90, p99 and max, beside a
// plain `fs` reader of the same kind of pty pair (the floor).
//   node bench/latency.mjs [lines] [rate]     default 5000 lines at 1000 lines/s; needs socat
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const N = Number(process.argv[2] ?? 5000)
const RATE = Number(process.argv[3] ?? 1000)
const command = new URL('../bin/sensorpipe', import.meta.url).pathname
if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).error) { console.error('latency: socat is not installed (apt-get install socat)'); process.exit(2) }

async function ptyPair (dir, name) {
  const a = join(dir, `${name}-a`); const b = join(dir, `${name}-b`)
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' })
  for (let i = 0; i < 200 && !(existsSync(a) && existsSync(b)); i++) await sleep(10)
  if (!existsSync(a) || !existsSync(b)) throw new Error('socat did not create the pty pair')
  return { a, b, socat }
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// Writes N lines `{"seq":i}` at RATE per second into `fd`; sent[i] = hrtime at the write.
async function writeLines (fd, sent) {
  const period = 1e9 / RATE
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    const due = t0 + BigInt(Math.round(i * period))
    for (;;) {
      const now = process.hrtime.bigint()
      if (now >= due) break
      const ms = Number(due - now) / 1e6
      if (ms > 1.5) await sleep(ms - 1); else await new Promise(setImmediate)
    }
    sent[i] = process.hrtime.bigint()
    writeSync(fd, `{"seq":${i}}\n`)
  }
}

// Collects lat[i] (ms) from a stream of lines that contain "seq":i.
function collect (stream, sent, lat) {
  let rest = ''
  stream.on('data', chunk => {
    const now = process.hrtime.bigint()
    const text = rest + chunk.toString('utf8')
    const parts = text.split('\n')
    rest = parts.pop()
    for (const line of parts) {
      const m = /"seq":(\d+)/.exec(line)
      if (m !== null) lat[Number(m[1])] = Number(now - sent[Number(m[1])]) / 1e6
    }
  })
}

function summary (label, lat) {
  const got = lat.filter(x => x !== undefined).sort((a, b) => a - b)
  const q = p => got[Math.min(got.length - 1, Math.floor(p * got.length))]
  console.log(`| ${label} | ${got.length}/${N} | ${q(0.5).toFixed(3)} | ${q(0.9).toFixed(3)} | ${q(0.99).toFixed(3)} | ${got[got.length - 1].toFixed(3)} |`)
}

const dir = mkdtempSync(join(tmpdir(), 'sp-latency-'))
console.log(`| reader (${N} lines at ${RATE}/s) | delivered | median ms | p90 ms | p99 ms | max ms |`)
console.log('|---|---:|---:|---:|---:|---:|')
try {
  { // the floor: a plain fs stream on the pty
    const { a, b, socat } = await ptyPair(dir, 'floor')
    const sent = []; const lat = []
    const rd = createReadStream(b, { highWaterMark: 64 * 1024 })
    rd.on('error', () => {}) // EIO when socat goes away at the end
    collect(rd, sent, lat)
    await sleep(200)
    const fd = openSync(a, 'w')
    await writeLines(fd, sent)
    await sleep(300)
    closeSync(fd); rd.destroy(); socat.kill()
    summary('plain fs reader', lat)
  }
  { // sensorpipe
    const { a, b, socat } = await ptyPair(dir, 'sp')
    const sent = []; const lat = []
    const sp = spawn(command, ['run', '--port', b, '--baud', '115200', '--keep-first-line', '--format', 'json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    collect(sp.stdout, sent, lat)
    await sleep(1000) // start-up and port open
    const fd = openSync(a, 'w')
    await writeLines(fd, sent)
    await sleep(300)
    closeSync(fd)
    sp.kill('SIGINT'); socat.kill()
    await new Promise(resolve => sp.on('exit', resolve))
    summary('sensorpipe run --port', lat)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
