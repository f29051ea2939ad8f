#!/usr/bin/env node
// Per-stage micro-benchmark: records/s for framing, each parser, filter and window, each stage
// timed alone on in-memory input (no I/O), so a regression in one stage is visible.
//   node bench/stages.mjs [lines]        (default 1,000,000; needs `npm run build` first)
import { performance } from 'node:perf_hooks'
import { lines, parseCsv, parseJson, parseKeyValue, where, tumbling, toJsonLines, LineBatch, RecordBatch } from '../dist/index.js'

const N = Number(process.argv[2] ?? 1_000_000)
const CHUNK = Number(process.env.CHUNK ?? (1 << 20))

// Deterministic readings in the reference job's shape (64 sensors, 1 ms apart).
function * readings () {
  let seed = 42
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
  for (let i = 0; i < N; i++) {
    yield { ts: 1700000000000 + i, sensor: `dev-${String(i % 64).padStart(2, '0')}`, value: Math.round((15 + 20 * rnd()) * 100) / 100 }
  }
}
const toChunks = (text) => { const b = Buffer.isBuffer(text) ? text : Buffer.from(text, text.length === Buffer.byteLength(text) ? 'latin1' : 'utf8'); const out = []; for (let i = 0; i < b.length; i += CHUNK) out.push(b.subarray(i, i + CHUNK)); return out }
import { readFileSync } from 'node:fs'
// BENCH_CSV=FILE times the CSV stages on a real file (e.g. the reference fixture) instead.
const csv = process.env.BENCH_CSV ? toChunks(readFileSync(process.env.BENCH_CSV)) : toChunks([...readings()].map(r => `${r.ts},${r.sensor},${r.value}`).join('\n') + '\n')
const jsonl = toChunks([...readings()].map(r => JSON.stringify(r)).join('\n') + '\n')
const kv = toChunks([...readings()].map(r => `ts=${r.ts} sensor=${r.sensor} value=${r.value}`).join('\n') + '\n')

async function collect (it) { const out = []; for await (const x of it) out.push(x); return out }
async function * from (arr) { yield * arr }
async function time (label, items, run) {
  let best = Infinity
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now()
    await run()
    best = Math.min(best, performance.now() - t0)
  }
  console.log(`| ${label.padEnd(28)} | ${(items / best / 1000).toFixed(2).padStart(8)} M/s | ${(best * 1e6 / items).toFixed(1).padStart(7)} ns |`)
}

console.log(`| stage (${N.toLocaleString('en')} records) | records/s | per record |`)
console.log('|---|---:|---:|')
const csvLines = await collect(lines()(from(csv)))
const jsonLines = await collect(lines()(from(jsonl)))
const kvLines = await collect(lines()(from(kv)))
await time('lines (framing)', N, () => collect(lines()(from(csv))))
await time('parseCsv (3 typed columns)', N, () => collect(parseCsv({ columns: 'ts:time,sensor:string,value:float' })(from(csvLines))))
// lines() leaves its batches unframed until read, and the typed CSV loop frames them as it parses.
await time('lines + parseCsv (fused)', N, () => collect(parseCsv({ columns: 'ts:time,sensor:string,value:float' })(lines()(from(csv)))))
await time('parseJson', N, () => collect(parseJson()(from(jsonLines))))
await time('parseKeyValue', N, () => collect(parseKeyValue()(from(kvLines))))
const records = await collect(parseCsv({ columns: 'ts:time,sensor:string,value:float' })(from(csvLines)))
const rows = await collect(parseJson()(from(jsonLines)))
await time('where (columnar)', N, () => collect(where('value >= -40 && value <= 125')(from(records))))
await time('where (rows)', N, () => collect(where('value >= -40 && value <= 125')(from(rows))))
const win = () => tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean,min,max', value: 'value' })
await time('tumbling 1s by sensor (columnar)', N, () => collect(win()(from(records))))
await time('tumbling 1s by sensor (rows)', N, () => collect(win()(from(rows))))
await time('toJsonLines (columnar)', N, () => collect(toJsonLines()(from(records))))
// The window's results as the reference job writes them (window, end, sensor, count, mean, min,
// max: one line per window and sensor), copied into plain columns once, so that each timed run
// formats fresh batches of the same data. Per result line, not per input record.
const results = (await collect(win()(from(records)))).map(b => {
  const rs = b.toRows()
  const fields = Object.keys(rs[0])
  return { fields, n: rs.length, cols: fields.map(f => rs.every(r => typeof r[f] === 'number') ? Float64Array.from(rs, r => r[f]) : rs.map(r => r[f])) }
})
const nResults = results.reduce((sum, b) => sum + b.n, 0)
await time('toJsonLines (window results)', nResults, () => collect(toJsonLines()(from(results.map(b => RecordBatch.fromColumns(b.fields, b.cols, b.n))))))
void LineBatch
