// The memory options of a run (--heap-check, --max-heap, --heap-snapshot, --profile,
// --last-readings), wired around a built pipeline. runPipeline imports this module only when one
// of them is given, so a run without them loads none of it and has nothing inserted. The CLI
// loads it from dist/memory/, beside its bundle: code here must not rely on `instanceof` with
// the library's classes (the bundle has its own copies).
import { writeFileSync } from 'node:fs'
import { ConfigError, SinkError } from '../errors.js'
import { pipe } from '../pipe.js'
import type { BuiltPipeline, PipelineOptions } from '../pipeline.js'
import type { Stage } from '../types.js'
import { parseDuration } from '../window/duration.js'
import { dropsOf, HeapBudgetError, type HeapMonitor, heapMonitor, type HeapReport, sourceFrame, stageName } from './heap-check.js'
import { lastReadings, type LastReadingsStage } from './last-readings.js'
import { renderProfile } from './profile.js'
import { formatHeapTable } from './format.js'
import { formatSnapshotDiff, HeapSnapshots, type ObjectGrowth } from './snapshot.js'

/** What the memory options of a run produced; `RunSummary.memory`. */
export interface MemoryReport {
  /** The heap-check measurements, with `heapCheck`, `maxHeap` or `profile`. */
  heap?: HeapReport
  /** True when the table should be printed (`heapCheck`). */
  heapCheck: boolean
  /** With `heapSnapshot`: the files kept and the constructors that grew from the first to the last. */
  snapshots?: { files: string[], grown: ObjectGrowth[], error?: string }
  /** With `profile`: the HTML file written. */
  profile?: string
  /** What the CLI prints: the table (with `heapCheck`), the snapshot diff, the profile's path. */
  text: string
}

/** The memory side of one run: builds the instrumented chain, then reports. */
export interface MemoryRun {
  /** The source piped through the built stages (and the formatter), with probes where asked. */
  pipe: (source: AsyncIterable<unknown>) => AsyncIterable<unknown>
  /** Ends monitoring, writes the last snapshot and the profile; call after the run, also after an error. */
  finish: (error?: unknown) => Promise<MemoryReport>
}

/** True when any memory option is set (then runPipeline loads this module). */
export function wantsMemoryRun (o: PipelineOptions): boolean {
  return o.heapCheck === true || o.maxHeap !== undefined || o.heapSnapshot !== undefined || o.profile !== undefined || o.lastReadings !== undefined
}

/**
 * Checks the memory options (a ConfigError names a bad one) and prepares the run. Nothing is
 * measured or written until `pipe(...)` is iterated, except the first heap snapshot, which is
 * written by `pipe` itself, before the first read.
 */
export function memoryRun (options: PipelineOptions, built: BuiltPipeline, io: { stderr?: NodeJS.WritableStream } = {}): MemoryRun {
  const o = options
  if (o.maxHeap !== undefined && !(typeof o.maxHeap === 'number' && o.maxHeap > 0 && Number.isFinite(o.maxHeap))) {
    throw new ConfigError(`--max-heap must be a positive number of MB, got ${String(o.maxHeap)}`)
  }
  const gcEvery = duration('--heap-check-every', o.heapCheckEvery, 1000)
  const snapshotEvery = duration('--heap-snapshot-every', o.heapSnapshotEvery, 60_000)
  if (o.heapSnapshot !== undefined && (typeof o.heapSnapshot !== 'string' || o.heapSnapshot === '')) throw new ConfigError('--heap-snapshot needs a folder')
  if (o.profile !== undefined && (typeof o.profile !== 'string' || o.profile === '')) throw new ConfigError('--profile needs a file name (FILE.html)')
  if (o.heapCheckEvery !== undefined && o.heapCheck !== true && o.maxHeap === undefined && o.profile === undefined) throw new ConfigError('--heap-check-every needs --heap-check, --max-heap or --profile')
  if (o.heapSnapshotEvery !== undefined && o.heapSnapshot === undefined) throw new ConfigError('--heap-snapshot-every needs --heap-snapshot DIR')
  let view: LastReadingsStage | undefined
  if (o.lastReadings !== undefined) {
    try {
      view = lastReadings({ key: o.lastReadings })
    } catch (err) {
      throw new ConfigError(`--last-readings: ${(err as Error).message}`)
    }
  }
  const monitor: HeapMonitor | undefined = o.heapCheck === true || o.maxHeap !== undefined || o.profile !== undefined
    ? heapMonitor({ maxHeap: o.maxHeap, gcEvery, liveSamples: o.heapCheck === true || o.profile !== undefined, profile: o.profile !== undefined })
    : undefined
  const snapshots = o.heapSnapshot === undefined ? undefined : new HeapSnapshots({ dir: o.heapSnapshot, every: snapshotEvery })
  const started = new Date()
  const stderr = io.stderr ?? process.stderr
  const onSignal = (): void => { if (view !== undefined) stderr.write(view.format()) }
  let listening = false

  // The stages in order with the names the table shows; the weak view goes after parse and filter.
  const named: Array<{ stage: Stage<any, any>, name: string }> = built.stages.map((s, i) => ({
    stage: s,
    name: s === built.framer ? 'lines' : s === built.filter ? 'where' : stageName(s, i + 1)
  }))
  if (view !== undefined) {
    const after = built.filter ?? built.parser
    named.splice(named.findIndex(n => n.stage === after) + 1, 0, { stage: view, name: 'lastReadings' })
  }
  named.push({ stage: built.formatter, name: stageName(built.formatter, named.length + 1) })

  return {
    pipe (source) {
      snapshots?.start()
      if (view !== undefined) { process.on('SIGUSR1', onSignal); listening = true }
      if (monitor === undefined) return pipe(source, ...named.map(n => n.stage))
      const chain: Array<Stage<any, any>> = [monitor.probe('source', { frame: sourceFrame(source) })]
      for (const n of named) chain.push(n.stage, monitor.probe(n.name, { frame: n.stage.name === '' ? undefined : n.stage.name, drops: dropsOf(n.stage) }))
      return pipe(source, ...chain)
    },
    async finish (error) {
      if (listening) process.off('SIGUSR1', onSignal)
      const report: MemoryReport = { heapCheck: o.heapCheck === true, text: '' }
      if (monitor !== undefined) report.heap = await monitor.finish()
      if (snapshots !== undefined) {
        let snapError: string | undefined
        try {
          snapshots.end()
        } catch (err) {
          snapshots.stop()
          snapError = (err as Error).message
        }
        snapError ??= snapshots.error?.message
        let grown: ObjectGrowth[] = []
        try {
          grown = await snapshots.diff()
        } catch (err) {
          snapError ??= `cannot read the heap snapshots: ${(err as Error).message}`
        }
        report.snapshots = { files: [...snapshots.files], grown, error: snapError }
      }
      if (o.profile !== undefined && report.heap !== undefined) {
        const notes = error instanceof HeapBudgetError ? [`Stopped: ${error.message}`] : []
        try {
          writeFileSync(o.profile, renderProfile(report.heap, { command: process.argv.slice(1).join(' '), started, notes }))
          report.profile = o.profile
        } catch (err) {
          if (error === undefined) throw new SinkError('ERR_SINK_OPEN', `cannot write the profile ${o.profile}: ${(err as Error).message}`, { cause: err })
        }
      }
      report.text = formatMemoryReport(report)
      return report
    }
  }
}

/** The heap-check table (with `heapCheck`), the snapshot diff and the profile's path, as text. */
export function formatMemoryReport (report: MemoryReport): string {
  let text = ''
  if (report.heapCheck && report.heap !== undefined) text += formatHeapTable(report.heap)
  if (report.snapshots !== undefined) {
    text += formatSnapshotDiff(report.snapshots.grown, report.snapshots.files)
    if (report.snapshots.error !== undefined) text += `heap snapshots: ${report.snapshots.error}\n`
  }
  if (report.profile !== undefined) text += `profile written to ${report.profile}\n`
  return text
}

function duration (flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  try {
    return parseDuration(value, flag)
  } catch (err) {
    throw new ConfigError((err as Error).message.replace(/^"([^"]+)"/, '$1'))
  }
}
