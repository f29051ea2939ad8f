#!/usr/bin/env node
// What printing a window's mean costs: writeShortest() (src/sinks/shortest.ts) against V8's
// conversion (JSON.stringify, then the copy of its string into the output buffer, as JsonBytes
// did before it), for 1M means of 2-decimal readings (the reference job prints one per result
// line). Both write the same bytes; the script checks that, then prints ns per number.
//
//   node bench/number-text.mjs        (needs `npm run build` first)
import { writeShortest } from '../dist/sinks/shortest.js'

const N = 1_000_000
let seed = 7
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
const means = new Float64Array(N)
for (let i = 0; i < N; i++) {
  let sum = 0
  const n = 1 + (i % 37)
  for (let j = 0; j < n; j++) sum += Math.round((rnd() * 165 - 40) * 100) / 100
  means[i] = Math.abs(sum / n) || 0.5
}
const out = Buffer.alloc(32 * N)

function viaV8 () {
  let p = 0
  for (let i = 0; i < N; i++) {
    const s = JSON.stringify(means[i])
    for (let j = 0; j < s.length; j++) out[p++] = s.charCodeAt(j)
    out[p++] = 10
  }
  return p
}
function viaShortest () {
  let p = 0
  let declined = 0
  for (let i = 0; i < N; i++) {
    const e = writeShortest(out, p, means[i])
    if (e < 0) { declined++; const s = JSON.stringify(means[i]); p += out.latin1Write(s, p) } else p = e
    out[p++] = 10
  }
  return [p, declined]
}

const a = out.subarray(0, viaV8()).toString('latin1')
const [end, declined] = viaShortest()
if (out.subarray(0, end).toString('latin1') !== a) throw new Error('writeShortest wrote other text than JSON.stringify')
// (What it declines here are means such as 8, 0.5 or 0.1: powers of two, and of ten at a range
// boundary, which JsonBytes writes as integers or two-place decimals before it comes to this.)
console.log(`${N.toLocaleString('en')} means, identical text; writeShortest declined ${declined} (see the comment above)`)
for (const [name, fn] of [['JSON.stringify + copy', viaV8], ['writeShortest', viaShortest]]) {
  const ns = []
  for (let r = 0; r < 5; r++) { const t = process.hrtime.bigint(); fn(); ns.push(Number(process.hrtime.bigint() - t) / N) }
  ns.sort((x, y) => x - y)
  console.log(`${name.padEnd(22)} ${ns[2].toFixed(1)} ns per number (median of 5)`)
}
