// The memory flags of `run` (docs/memory.md). Each maps one to one onto a PipelineOptions field
// (`--max-heap` is `maxHeap`). Their code (src/memory/) is loaded only when one is given.
import type { Argv } from 'yargs'
import type { PipelineOptions } from '../pipeline.js'
import type { MemoryReport } from '../memory/run.js'

/** The memory flags' PipelineOptions names. */
export const MEMORY_FLAGS = ['heapCheck', 'heapCheckEvery', 'maxHeap', 'heapSnapshot', 'heapSnapshotEvery', 'profile', 'lastReadings'] as const

/** The parsed memory flags: the PipelineOptions fields of the same names. */
export type MemoryArgs = Pick<PipelineOptions, typeof MEMORY_FLAGS[number]>

/** Adds the memory flags. */
export function memoryFlags (y: Argv, group = 'Memory:'): Argv {
  return y
    .option('heap-check', { type: 'boolean', describe: 'Measure the heap between stages; print a per-stage table (records, drops, time, heap high-water) to stderr at the end', group })
    .option('heap-check-every', { type: 'string', describe: 'Least time between heap measurements after a full garbage collection (each costs a few ms) [default: 1s]', group })
    .option('max-heap', { type: 'number', describe: 'Stop with exit status 3 when the heap after garbage collection grows past this many MB, naming where', group })
    .option('heap-snapshot', { type: 'string', describe: 'Write V8 heap snapshots to this folder at the start, every --heap-snapshot-every and at the end; print the objects that grew', group })
    .option('heap-snapshot-every', { type: 'string', describe: 'Time between periodic heap snapshots [default: 1m]', group })
    .option('profile', { type: 'string', describe: 'Write a self-contained HTML report of heap use and throughput per stage over time (FILE.html)', group })
    .option('last-readings', { type: 'string', describe: 'Keep a weak view of the last reading per KEY (e.g. sensor), printed to stderr on SIGUSR1; it keeps no reading alive', group })
}

/** Prints what the memory flags produced: the heap-check table, the snapshot diff, the profile's path. */
export async function printMemoryReport (report: MemoryReport, stderr: NodeJS.WritableStream = process.stderr): Promise<void> {
  if (report.text !== '') stderr.write(report.text)
}
