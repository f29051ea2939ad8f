#!/usr/bin/env node
// When a command reaches its peak RSS, and what is resident then: samples /proc/PID/smaps every
// few milliseconds (Linux only) and prints the mappings at the peak beside those late in the run,
// grouped as the node binary, V8 heap pages (256 KiB), malloc's main heap ([heap]), the malloc
// arenas of other threads (mappings at 64 MiB boundaries: V8's helper threads, where its
// optimizing compiler and parallel GC allocate), JIT code, shared libraries and other anonymous
// memory. docs/performance.md ("The seventh session") reads its output.
//
//   node bench/peak-rss.mjs [--every MS] -- bin/sensorpipe run --file ... --summary
//   TIMELINE=N node bench/peak-rss.mjs ...    also prints every Nth sample (ms, MiB, groups over 0.5 MiB)
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

const argv = process.argv.slice(2)
const dash = argv.indexOf('--')
if (dash < 0 || dash === argv.length - 1) {
  process.stderr.write('usage: node bench/peak-rss.mjs [--every MS] -- COMMAND [ARGS...]\n')
  process.exit(2)
}
const everyAt = argv.indexOf('--every')
const every = everyAt >= 0 && everyAt < dash ? Number(argv[everyAt + 1]) : 3
const [cmd, ...args] = argv.slice(dash + 1)

const ARENA = 64 * 1024 * 1024
function sample (pid) {
  const groups = new Map()
  let group = ''
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'latin1').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (m !== null) {
      const start = parseInt(m[1], 16)
      const size = parseInt(m[2], 16) - start
      const name = m[4].split('/').pop()
      if (name === '') {
        if (start % ARENA === 0 && size < ARENA) group = 'malloc arenas of other threads'
        else if (size === 256 * 1024) group = 'V8 heap pages (256 KiB)'
        else if (m[3].includes('x')) group = 'JIT code'
        else group = 'other anonymous'
      } else if (name === 'node') group = 'node binary'
      else if (name === '[heap]') group = 'malloc main heap ([heap])'
      else if (name.endsWith('.so') || /\.so\./.test(name)) group = 'shared libraries'
      else group = name
      if (!groups.has(group)) groups.set(group, 0)
      continue
    }
    if (line.startsWith('Rss:')) groups.set(group, groups.get(group) + Number(line.split(/\s+/)[1]))
  }
  let total = 0
  for (const kb of groups.values()) total += kb
  return { total, groups }
}

const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] })
const t0 = performance.now()
const samples = []
let done = false
child.on('exit', () => { done = true })
while (!done) {
  try { samples.push({ t: performance.now() - t0, ...sample(child.pid) }) } catch { /* exited between the check and the read */ }
  await new Promise(resolve => setTimeout(resolve, every))
}
if (samples.length < 3) {
  process.stderr.write('too few samples: the command ended too soon\n')
  process.exit(1)
}
const timeline = Number(process.env.TIMELINE ?? 0)
if (timeline > 0) {
  for (const s of samples.filter((_, i) => i % timeline === 0)) {
    const groups = [...s.groups].filter(([, kb]) => kb > 512).map(([name, kb]) => `${name}: ${(kb / 1024).toFixed(1)}`)
    console.log(`${s.t.toFixed(0).padStart(6)} ms ${(s.total / 1024).toFixed(1).padStart(6)} MiB  ${groups.join(', ')}`)
  }
}
const peak = samples.reduce((a, b) => (b.total > a.total ? b : a))
// (Not the last samples: at exit V8 has already freed its heap.)
const late = samples[Math.floor(samples.length * 0.8)]
const mib = kb => (kb / 1024).toFixed(2).padStart(7)
console.log(`${samples.length} samples; peak ${mib(peak.total)} MiB at ${peak.t.toFixed(0)} ms, ${mib(late.total)} MiB at ${late.t.toFixed(0)} ms (late in the run)`)
console.log(`${'mapping'.padEnd(36)} ${'peak'.padStart(7)} ${'late'.padStart(7)}  MiB`)
const names = [...new Set([...peak.groups.keys(), ...late.groups.keys()])].sort((a, b) => (peak.groups.get(b) ?? 0) - (peak.groups.get(a) ?? 0))
for (const name of names) {
  const a = peak.groups.get(name) ?? 0
  const b = late.groups.get(name) ?? 0
  if (a >= 100 || b >= 100) console.log(`${name.padEnd(36)} ${mib(a)} ${mib(b)}`)
}
