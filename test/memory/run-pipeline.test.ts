// runPipeline with memory options, in process (the library path; test/memory/cli.test.ts runs the CLI).
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HeapBudgetError, type MemoryReport, runPipeline } from '../../src/index.js'
import { tempDir } from '../helpers.js'
import { writeReferenceFile } from './helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { dir = await tempDir(); await writeReferenceFile(dir.file('in.csv'), 20_000) })
afterAll(async () => { await dir.remove() })

function sink (): Writable & { bytes: number } {
  const w = new Writable({ write (chunk: Buffer, _enc, done) { w.bytes += chunk.length; done() } }) as Writable & { bytes: number }
  w.bytes = 0
  return w
}

const options = { file: '', columns: 'ts:time,sensor:string,value:float', where: 'value >= -40 && value <= 125', key: 'sensor', window: '1s', agg: 'count,mean' }

describe('runPipeline with memory options', () => {
  it('reports the heap check, with the weak view placed after the filter, in the summary and to onMemoryReport', async () => {
    let reported: MemoryReport | undefined
    const summary = await runPipeline({ ...options, file: dir.file('in.csv'), heapCheck: true, lastReadings: 'sensor' }, { stdout: sink(), onMemoryReport: r => { reported = r } })
    expect(summary.emitted).toBe(20 * 64)
    expect(reported).toBe(summary.memory)
    const heap = summary.memory!.heap!
    expect(heap.stages.map(s => s.name)).toEqual(['source', 'lines', 'parseCsv', 'where', 'lastReadings', 'tumbling', 'toJsonLines'])
    expect(summary.memory!.text).toMatch(/^heap check \(/)
    expect(summary.memory!.text).toMatch(/\nlastReadings\s+\d+\s+\d+\s+\d+\s+-\s/)
  })

  it('runs as before, with no report, when no memory option is given', async () => {
    const summary = await runPipeline({ ...options, file: dir.file('in.csv') }, { stdout: sink() })
    expect(summary.memory).toBeUndefined()
  })

  it('hands the report over when the budget stops the run, and rejects with the HeapBudgetError', async () => {
    let reported: MemoryReport | undefined
    const run = runPipeline({ ...options, file: dir.file('in.csv'), maxHeap: 1, heapCheck: true }, { stdout: sink(), onMemoryReport: r => { reported = r } })
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof HeapBudgetError && e.code === 'ERR_HEAP_BUDGET' && /at start|seen at/.test(e.message))
    expect(reported?.heap?.maxHeap).toBe(1 << 20)
    expect(reported?.text).toMatch(/budget 1\.0 MB/)
  })

  it('refuses a bad memory option before reading, as a ConfigError', async () => {
    await expect(runPipeline({ ...options, file: dir.file('in.csv'), maxHeap: 0 }, { stdout: sink() })).rejects.toMatchObject({ code: 'ERR_CONFIG' })
    await expect(runPipeline({ ...options, file: dir.file('in.csv'), heapSnapshotEvery: '1s' }, { stdout: sink() })).rejects.toThrow(/--heap-snapshot-every needs --heap-snapshot/)
  })
})
