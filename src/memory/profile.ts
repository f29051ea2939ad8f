import type { HeapReport, StageReport } from './heap-check.js'
import { MB } from './heap.js'
import type { SeriesData } from './series.js'

/** What the report says about the run, besides the measurements. */
export interface ProfileInfo {
  /** The command line, shown at the top. */
  command?: string
  /** When the run started. Default: now. */
  started?: Date
  /** Extra lines shown under the title, e.g. the summary line. */
  notes?: readonly string[]
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']

/**
 * A self-contained HTML profile of a run from a {@link HeapReport} taken with `profile: true`:
 * the heap in use over time (garbage included, after each collection, and the budget), the
 * throughput and heap of every stage over time, and the per-stage table. Charts are inline SVG
 * and styles inline CSS; there is no script and nothing is fetched, so the file opens offline in
 * any browser. Its size is bounded (480 points per series), however long the run.
 *
 * @example
 * ```ts
 * writeFileSync('profile.html', renderProfile(await monitor.finish(), { command: 'my job' }))
 * ```
 */
export function renderProfile (report: HeapReport, info: ProfileInfo = {}): string {
  const series = report.series
  const started = info.started ?? new Date()
  const stages = report.stages
  const head = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>sensorpipe profile</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1120px; padding: 0 16px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0 0 4px; }
.meta { color: #555; font-size: 13px; } code { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #f4f4f4; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; } th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
th { background: #f7f7f7; font-weight: 600; } td:first-child, th:first-child { text-align: left; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px 24px; }
.panel { border: 1px solid #e5e5e5; border-radius: 6px; padding: 10px 12px; }
.legend { font-size: 12px; color: #444; margin: 2px 0 0; } .legend span { margin-right: 14px; white-space: nowrap; }
svg { display: block; } svg text { font: 11px system-ui, sans-serif; fill: #555; }
.bar { height: 10px; background: #eee; border-radius: 2px; overflow: hidden; width: 120px; display: inline-block; vertical-align: middle; }
.bar > i { display: block; height: 100%; }
</style></head><body>`
  const parts: string[] = [head]
  parts.push('<h1>sensorpipe profile</h1>')
  parts.push(`<p class="meta">${esc(started.toISOString())} · ${(report.totalMs / 1000).toFixed(2)} s · Node ${esc(process.version)} · ${stages.length} stages` +
    `${report.maxHeap === undefined ? '' : ` · budget ${mb(report.maxHeap)}`}</p>`)
  if (info.command !== undefined) parts.push(`<p class="meta"><code>${esc(info.command)}</code></p>`)
  for (const n of info.notes ?? []) parts.push(`<p class="meta">${esc(n)}</p>`)

  parts.push('<h2>Heap in use over time</h2>')
  if (series === undefined || series.length === 0) {
    parts.push('<p>No time series: the run ended before any batch passed, or it was not recorded.</p>')
  } else {
    parts.push(heapChart(series, report))
    parts.push('<p class="legend"><span><i class="swatch" style="background:#9ecae1"></i>heap in use, garbage included (highest per interval)</span>' +
      '<span><i class="swatch" style="background:#08519c"></i>live heap, after a full collection</span>' +
      (report.maxHeap === undefined ? '' : '<span><i class="swatch" style="background:#d62728"></i>--max-heap budget</span>') + '</p>')
  }

  parts.push('<h2>Stages</h2>')
  parts.push(stageTable(report))

  if (series !== undefined && series.length > 0) {
    parts.push('<h2>Each stage over time</h2><p class="meta">Throughput of what the stage yields (records/s, or MB/s for bytes), ' +
      'the time spent in the stage per second of run time, and the heap in use when its batches passed on.</p><div class="grid">')
    stages.forEach((s, i) => { parts.push(stagePanel(s, i, series)) })
    parts.push('</div>')
  }
  parts.push(`<p class="meta" style="margin-top:28px">Heap = V8's used heap plus external memory (Buffer and typed-array contents); MB = 2<sup>20</sup> bytes. ` +
    `Series are bucketed at ${series === undefined ? '-' : `${series.bucketMs} ms`}. See docs/memory.md.</p>`)
  parts.push('</body></html>\n')
  return parts.join('\n')
}

function stageTable (report: HeapReport): string {
  const total = Math.max(report.totalMs, 1e-9)
  const rows = report.stages.map((s, i) => {
    const share = s.selfMs / total
    return `<tr><td><i class="swatch" style="background:${COLORS[i % COLORS.length]}"></i>${esc(s.name)}</td><td>${s.batches}</td>` +
      `<td>${s.in === undefined ? '-' : amount(s.in, s.inUnit)}</td><td>${amount(s.out, s.unit)}</td><td>${s.dropped ?? '-'}</td>` +
      `<td>${s.selfMs.toFixed(1)}</td><td><span class="bar"><i style="width:${(100 * Math.min(1, share)).toFixed(1)}%;background:${COLORS[i % COLORS.length]}"></i></span> ${Math.round(100 * share)}%</td>` +
      `<td>${s.batches === 0 ? '-' : mb(s.heapPeak)}</td><td>${s.livePeak === undefined ? '-' : mb(s.livePeak)}</td></tr>`
  })
  rows.push(`<tr><td>(output)</td><td>-</td><td>-</td><td>-</td><td>-</td><td>${report.sinkMs.toFixed(1)}</td><td>${Math.round(100 * report.sinkMs / total)}%</td><td>-</td><td>-</td></tr>`)
  const live = report.livePeak === undefined
    ? 'Live heap not measured.'
    : `Live heap after garbage collection: start ${mbOr(report.liveStart)}, high-water ${mb(report.livePeak)} at ${esc(report.livePeakAt ?? '?')}, end ${mbOr(report.liveEnd)}; ` +
      `${report.liveSamples} measurements took ${report.monitorMs.toFixed(0)} ms.`
  return '<table><thead><tr><th>stage</th><th>batches</th><th>in</th><th>out</th><th>dropped</th><th>time ms</th><th>time share</th><th>heap peak</th><th>live peak</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table><p class="meta">${live}</p>`
}

function heapChart (series: SeriesData, report: HeapReport): string {
  const n = series.length
  const heap: Array<number | null> = []
  const live: Array<number | null> = []
  for (let k = 0; k < n; k++) {
    let h = 0
    let l: number | null = null
    for (const b of series.boundaries) {
      if (b.heap[k]! > h) h = b.heap[k]!
      const v = b.live[k]
      if (v !== null && v !== undefined && (l === null || v > l)) l = v
    }
    heap.push(h > 0 ? h / MB : null)
    live.push(l === null ? null : l / MB)
  }
  return chart({
    width: 1080,
    height: 260,
    bucketMs: series.bucketMs,
    unit: 'MB',
    lines: [
      { values: heap, color: '#9ecae1', area: true, connect: true, label: 'heap in use' },
      { values: live, color: '#08519c', dots: true, label: 'live heap' }
    ],
    hline: report.maxHeap === undefined ? undefined : { value: report.maxHeap / MB, color: '#d62728', label: 'budget' }
  })
}

function stagePanel (s: StageReport, i: number, series: SeriesData): string {
  const b = series.boundaries[i]
  const color = COLORS[i % COLORS.length]!
  if (b === undefined) return `<div class="panel"><h3>${esc(s.name)}</h3><p class="meta">no batches</p></div>`
  const seconds = series.bucketMs / 1000
  const bytes = s.unit === 'bytes'
  const rate = b.items.map((x, k) => b.batches[k]! > 0 || x > 0 ? (bytes ? x / MB : x) / seconds : 0)
  const prev = series.boundaries[i - 1]
  // Time in the stage itself per bucket: its inclusive time minus what the stage before took.
  const busy = b.inclusiveMs.map((x, k) => Math.max(0, x - (prev?.inclusiveMs[k] ?? 0) - (prev?.overheadMs[k] ?? 0)) / series.bucketMs)
  const heap = b.heap.map(h => h > 0 ? h / MB : null)
  const unit = bytes ? 'MB/s' : s.unit === 'chars' ? 'chars/s' : 'records/s'
  const peak = Math.max(0, ...rate)
  return `<div class="panel"><h3><i class="swatch" style="background:${color}"></i>${esc(s.name)} <span class="meta">· ${s.batches} batches · peak ${fmt(peak)} ${unit}</span></h3>` +
    chart({ width: 520, height: 150, bucketMs: series.bucketMs, unit, lines: [{ values: rate, color, area: true, label: unit }] }) +
    chart({ width: 520, height: 110, bucketMs: series.bucketMs, unit: 'MB', lines: [{ values: heap, color: '#9ecae1', connect: true, label: 'heap in use' }] }) +
    chart({ width: 520, height: 80, bucketMs: series.bucketMs, unit: 'busy', max: 1, lines: [{ values: busy, color: '#888', area: true, label: 'share of time in this stage' }] }) +
    `<p class="legend"><span>top: ${unit} out</span><span>middle: heap in use (MB)</span><span>bottom: share of time in the stage</span></p></div>`
}

// `connect`: join the points across empty buckets (a heap reading holds until the next one).
interface ChartLine { values: Array<number | null>, color: string, label: string, area?: boolean, dots?: boolean, connect?: boolean }
interface ChartSpec { width: number, height: number, bucketMs: number, unit: string, lines: ChartLine[], hline?: { value: number, color: string, label: string }, max?: number }

// A line chart in SVG: x is run time in seconds (bucket centres), y starts at 0.
function chart (c: ChartSpec): string {
  const left = 52
  const right = 26
  const top = 18
  const bottom = 22
  const w = c.width - left - right
  const h = c.height - top - bottom
  const n = Math.max(1, ...c.lines.map(l => l.values.length))
  let yMax = c.max ?? Math.max(c.hline?.value ?? 0, ...c.lines.flatMap(l => l.values.filter((v): v is number => v !== null)))
  if (!(yMax > 0)) yMax = 1
  const yStep = niceStep(yMax / 4)
  yMax = c.max ?? Math.ceil(yMax / yStep) * yStep
  const tMax = n * c.bucketMs / 1000
  const xStep = niceStep(tMax / 8)
  const x = (k: number): number => left + ((k + 0.5) / n) * w
  const y = (v: number): number => top + h - (v / yMax) * h
  const out: string[] = [`<svg width="${c.width}" height="${c.height}" viewBox="0 0 ${c.width} ${c.height}" role="img" aria-label="${esc(c.lines.map(l => l.label).join(', '))} over time">`]
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${left}" x2="${left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`)
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`)
  }
  for (let t = 0; t <= tMax + 1e-9; t += xStep) {
    const px = left + (t / tMax) * w
    out.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${top + h}" y2="${top + h + 4}" stroke="#999"/>`)
    out.push(`<text x="${px.toFixed(1)}" y="${top + h + 16}" text-anchor="middle">${fmt(t)} s</text>`)
  }
  out.push(`<line x1="${left}" x2="${left + w}" y1="${top + h}" y2="${top + h}" stroke="#999"/>`)
  out.push(`<text x="4" y="11" style="font-weight:600">${esc(c.unit)}</text>`)
  for (const line of c.lines) {
    const segs: string[] = []
    let seg: string[] = []
    line.values.forEach((v, k) => {
      if (v === null) { if (seg.length > 0 && line.connect !== true) { segs.push(seg.join(' ')); seg = [] } return }
      seg.push(`${seg.length === 0 ? 'M' : 'L'}${x(k).toFixed(1)},${y(Math.min(v, yMax)).toFixed(1)}`)
    })
    if (seg.length > 0) segs.push(seg.join(' '))
    for (const d of segs) {
      if (line.area === true) {
        const first = /^M([0-9.]+)/.exec(d)![1]
        const last = /([0-9.]+),[0-9.]+$/.exec(d)![1]
        out.push(`<path d="${d} L${last},${top + h} L${first},${top + h} Z" fill="${line.color}" fill-opacity="0.25" stroke="none"/>`)
      }
      out.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.6"/>`)
    }
    if (line.dots === true) {
      line.values.forEach((v, k) => {
        if (v !== null) out.push(`<circle cx="${x(k).toFixed(1)}" cy="${y(Math.min(v, yMax)).toFixed(1)}" r="2.6" fill="${line.color}"><title>${fmt(v)} ${esc(c.unit)} at ${((k + 0.5) * c.bucketMs / 1000).toFixed(2)} s</title></circle>`)
      })
    }
  }
  if (c.hline !== undefined && c.hline.value <= yMax) {
    out.push(`<line x1="${left}" x2="${left + w}" y1="${y(c.hline.value).toFixed(1)}" y2="${y(c.hline.value).toFixed(1)}" stroke="${c.hline.color}" stroke-dasharray="6 4"/>`)
    out.push(`<text x="${left + w - 4}" y="${(y(c.hline.value) - 4).toFixed(1)}" text-anchor="end" style="fill:${c.hline.color}">${esc(c.hline.label)} ${fmt(c.hline.value)}</text>`)
  }
  out.push('</svg>')
  return out.join('')
}

function niceStep (raw: number): number {
  if (!(raw > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
}

function fmt (v: number): string {
  if (v === 0) return '0'
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(0)}k`
  if (Math.abs(v) >= 100) return v.toFixed(0)
  if (Math.abs(v) >= 1) return String(Math.round(v * 10) / 10)
  return String(Math.round(v * 100) / 100)
}

function mb (b: number): string { return `${(b / MB).toFixed(1)} MB` }
function mbOr (b: number | undefined): string { return b === undefined ? 'n/a' : mb(b) }

function amount (n: number, unit: StageReport['unit']): string {
  return unit === 'bytes' ? mb(n) : unit === 'chars' ? `${n} chars` : String(n)
}

function esc (s: string): string {
  return s.replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)
}
