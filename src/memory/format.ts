import type { BatchUnit, HeapReport } from './heap-check.js'
import { formatMB } from './heap.js'

/**
 * The heap-check table `--heap-check` prints on stderr at the end of a run: one row per stage
 * (the source first, the output last) with the batches it yielded, what went in and out
 * (records, or bytes for byte stages), what it dropped, the time spent in it, and the heap's
 * high-water marks seen after it: garbage included (`heap peak`) and after a full collection
 * (`live peak`). A closing line gives the live heap at the start, its high-water mark and where,
 * at the end, and what the measurements cost. docs/memory.md explains how to read it.
 *
 * @example
 * ```ts
 * process.stderr.write(formatHeapTable(await monitor.finish()))
 * ```
 */
export function formatHeapTable (report: HeapReport): string {
  const total = Math.max(report.totalMs, 1e-9)
  const rows: string[][] = [['stage', 'batches', 'in', 'out', 'dropped', 'time ms', 'time %', 'heap peak', 'live peak']]
  for (const s of report.stages) {
    rows.push([
      s.name,
      String(s.batches),
      s.in === undefined ? '-' : amount(s.in, s.inUnit),
      amount(s.out, s.unit),
      s.dropped === undefined ? '-' : String(s.dropped),
      s.selfMs.toFixed(1),
      `${Math.round(100 * s.selfMs / total)}%`,
      s.batches === 0 ? '-' : formatMB(s.heapPeak),
      s.livePeak === undefined ? '-' : formatMB(s.livePeak)
    ])
  }
  const last = report.stages[report.stages.length - 1]
  rows.push(['(output)', '-', last === undefined ? '-' : amount(last.out, last.unit), '-', '-', report.sinkMs.toFixed(1), `${Math.round(100 * report.sinkMs / total)}%`, '-', '-'])
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map(r => r[j]!.length)))
  const lines = rows.map(r => r.map((cell, j) => j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!)).join('  ').trimEnd())
  const mb = (b: number | undefined): string => b === undefined ? 'n/a' : formatMB(b)
  const live = report.livePeak === undefined
    ? 'live heap: not measured (no garbage collector function could be had)'
    : `live heap (after GC): start ${mb(report.liveStart)}, high-water ${mb(report.livePeak)} at ${report.livePeakAt ?? '?'}, end ${mb(report.liveEnd)}`
  const budget = report.maxHeap === undefined ? '' : `; budget ${formatMB(report.maxHeap)}`
  return `heap check (${(report.totalMs / 1000).toFixed(2)} s; MB = 2^20 bytes; heap = V8 heap + Buffer and typed-array memory)\n` +
    lines.join('\n') + '\n' +
    `${live}${budget}; ${report.liveSamples} GC-measured samples took ${report.monitorMs.toFixed(0)} ms\n`
}

function amount (n: number, unit: BatchUnit | undefined): string {
  if (unit === 'bytes') return formatMB(n)
  if (unit === 'chars') return `${n} chars`
  return String(n)
}
