#!/usr/bin/env node
// An experiment kept for its answer (docs/performance.md, "The seventh session"): would a tumbling
// window's per-key accumulators be faster in typed arrays indexed by dictionary id (as js-tuned
// keeps them) than in the objects the window engine uses? Both loops below do the reference
// job's accumulation (count, then count, sum, min and max of one field) for 2M readings of 64
// sensors in random order, 1000 per window; the typed one loads a key's state into the arrays
// when the key first comes in a window and writes it back when the window changes and every
// 10,000 readings (a batch), as the engine would have to. Same sums in the same order, so the
// results are identical; the answer is the time per reading.
//
//   node bench/accumulators.mjs
const N = 2_000_000
const K = 64
const BATCH = 10_000
let seed = 1
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
const times = new Float64Array(N)
const ids = new Int32Array(N)
const vals = new Float64Array(N)
for (let i = 0; i < N; i++) { times[i] = 1.7e12 + i; ids[i] = (rnd() * K) | 0; vals[i] = Math.round((15 + 20 * rnd()) * 100) / 100 }

class Acc { n = 0; present = 0; sum = 0; min = Infinity; max = -Infinity }
class State { count = 0; touched = 0; accs = [new Acc()] }

function objects () {
  let sq = 0; let cs = -1; let ce = -1; let gen = 0
  const stateById = new Array(K); const stateGen = new Int32Array(K).fill(-1)
  for (let i = 0; i < N; i++) {
    const t = times[i]
    if (!(t >= cs && t < ce)) { cs = t - (t % 1000); ce = cs + 1000; gen++ }
    const id = ids[i]
    let st
    if (stateGen[id] === gen) st = stateById[id]
    else { st = new State(); stateById[id] = st; stateGen[id] = gen }
    st.count++; st.touched = ++sq
    const a = st.accs[0]; const v = vals[i]
    if (v !== v) continue
    a.present++; a.n++; a.sum += v
    if (v < a.min) a.min = v
    if (v > a.max) a.max = v
  }
  let check = 0
  for (let k = 0; k < K; k++) check += stateById[k].accs[0].sum
  return check
}

function typedArrays () {
  let sq = 0; let cs = -1; let ce = -1; let gen = 0
  const stateById = new Array(K); const stateGen = new Int32Array(K).fill(-1); const bound = new Int32Array(K).fill(-1)
  const cnt = new Float64Array(K); const touched = new Float64Array(K); const pn = new Float64Array(K)
  const sum = new Float64Array(K); const mn = new Float64Array(K); const mx = new Float64Array(K)
  const list = new Int32Array(K); let nb = 0
  const writeBack = () => {
    for (let j = 0; j < nb; j++) {
      const id = list[j]; const st = stateById[id]; const a = st.accs[0]
      st.count += cnt[id]; st.touched = touched[id]; a.present += pn[id]; a.n += pn[id]; a.sum = sum[id]; a.min = mn[id]; a.max = mx[id]
      bound[id] = -1
    }
    nb = 0
  }
  for (let i = 0; i < N; i++) {
    if (i % BATCH === 0) writeBack()
    const t = times[i]
    if (!(t >= cs && t < ce)) { writeBack(); cs = t - (t % 1000); ce = cs + 1000; gen++ }
    const id = ids[i]
    if (bound[id] === gen) {
      cnt[id]++; touched[id] = ++sq
      const v = vals[i]
      if (v !== v) continue
      pn[id]++; sum[id] += v
      if (v < mn[id]) mn[id] = v
      if (v > mx[id]) mx[id] = v
      continue
    }
    let st
    if (stateGen[id] === gen) st = stateById[id]
    else { st = new State(); stateById[id] = st; stateGen[id] = gen }
    st.count++; st.touched = ++sq
    const a = st.accs[0]; const v = vals[i]
    if (v === v) { a.present++; a.n++; a.sum += v; if (v < a.min) a.min = v; if (v > a.max) a.max = v }
    cnt[id] = 0; touched[id] = st.touched; pn[id] = 0; sum[id] = a.sum; mn[id] = a.min; mx[id] = a.max
    bound[id] = gen; list[nb++] = id
  }
  writeBack()
  let check = 0
  for (let k = 0; k < K; k++) check += stateById[k].accs[0].sum
  return check
}

const best = { objects: Infinity, typedArrays: Infinity }
for (let round = 0; round < 8; round++) {
  for (const [name, fn] of [['objects', objects], ['typedArrays', typedArrays]]) {
    const t = performance.now()
    const check = fn()
    const ns = (performance.now() - t) * 1e6 / N
    if (round >= 2) best[name] = Math.min(best[name], ns)
    if (round === 0 && name === 'typedArrays' && check !== objects()) throw new Error('the two loops disagree')
  }
}
console.log(`per reading, best of 6 after 2 warm-up rounds: objects ${best.objects.toFixed(1)} ns, typed arrays ${best.typedArrays.toFixed(1)} ns`)
