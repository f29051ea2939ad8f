import { AsyncIterableX } from 'ix/asynciterable'
import { describe, expect, it } from 'vitest'
import { each, LineBatch, lines, parseCsv, pipe, RecordBatch, type Stage, toJsonLines, tumbling, where } from '../src/index.js'
import { chunksOf, collect, CountingSource, fromItems, linesOf, rowsOf } from './helpers.js'

const CSV = '1000,a,1.5\n1100,b,200\n1500,a,2.5\r\nbad line\n2100,b,-3\n2200,a,4'
const COLUMNS = 'ts:time,sensor:string,value:float'

describe('pipe()', () => {
  it('composes a source with stages left to right', async () => {
    const out = await collect(pipe(
      fromItems(chunksOf(CSV, [7])),
      lines(),
      parseCsv({ columns: COLUMNS }),
      where('value >= -40 && value <= 125'),
      tumbling({ size: '1s', time: 'ts', key: 'sensor', aggregates: 'count,mean', value: 'value' }),
      toJsonLines()
    ))
    expect(out.join('')).toBe([
      '{"window":1000,"end":2000,"sensor":"a","count":2,"mean":2}',
      '{"window":2000,"end":3000,"sensor":"b","count":1,"mean":-3}',
      '{"window":2000,"end":3000,"sensor":"a","count":1,"mean":4}'
    ].join('\n') + '\n')
  })

  it('returns the source itself when there are no stages', () => {
    const src = fromItems([1])
    expect(pipe(src)).toBe(src)
  })

  it('builds lazily: composing pulls nothing', async () => {
    const src = new CountingSource(i => Buffer.from(`${i},a,1\n`))
    pipe(src, lines(), parseCsv({ columns: COLUMNS }), toJsonLines())
    await new Promise(resolve => setImmediate(resolve))
    expect(src.started).toBe(false)
  })

  it('pulls one chunk for one output when each chunk holds a line', async () => {
    const src = new CountingSource(i => Buffer.from(`${i},a,1\n`))
    const it = pipe(src, lines(), parseCsv({ columns: COLUMNS }), toJsonLines())[Symbol.asyncIterator]()
    expect(String((await it.next()).value)).toBe('{"ts":0,"sensor":"a","value":1}\n')
    expect(src.pulls).toBe(1)
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })

  it('break in the consumer ends every stage and runs the source\'s finally', async () => {
    const stageFinally: string[] = []
    const tracked = <T>(name: string): Stage<T, T> => async function * (src) {
      try { for await (const x of src) yield x } finally { stageFinally.push(name) }
    }
    const src = new CountingSource(i => Buffer.from(`${i},a,1\n`))
    for await (const text of pipe(src, tracked('bytes'), lines(), parseCsv({ columns: COLUMNS }), tracked('records'), toJsonLines())) {
      expect(String(text)).toContain('"ts":0')
      break
    }
    // each for-await closes its source before its own finally runs: upstream first
    expect(stageFinally).toEqual(['bytes', 'records'])
    expect(src.finallyRan).toBe(true)
  })

  it('passes a source error through every stage to the consumer', async () => {
    const src = new CountingSource(i => Buffer.from(`${i},a,1\n`), Infinity, 2)
    await expect(collect(pipe(src, lines(), parseCsv({ columns: COLUMNS }), toJsonLines()))).rejects.toBe(src.error)
    expect(src.finallyRan).toBe(true)
  })

  it('throws a TypeError for a source that is not async iterable or a stage that is not a function', () => {
    expect(() => pipe([1, 2] as unknown as AsyncIterable<number>)).toThrow(TypeError)
    expect(() => pipe(null as unknown as AsyncIterable<number>)).toThrow(/async iterable/)
    expect(() => pipe(fromItems([1]), 'x' as unknown as Stage<number, number>)).toThrow(/stage 1 is not a function/)
  })

  it('stages compose with ix: AsyncIterableX.from(source).pipe(...) gives the same as pipe()', async () => {
    const chunks = chunksOf(CSV, [5, 1, 9])
    const ours = await collect(pipe(fromItems(chunks), lines(), parseCsv({ columns: COLUMNS })))
    const theirs = await collect(AsyncIterableX.from(fromItems(chunks)).pipe(
      lines() as unknown as (s: AsyncIterable<Buffer>) => AsyncIterableX<LineBatch>,
      parseCsv({ columns: COLUMNS }) as unknown as (s: AsyncIterable<LineBatch>) => AsyncIterableX<RecordBatch>
    ))
    expect(rowsOf(theirs)).toEqual(rowsOf(ours))
    expect(rowsOf(ours)).toEqual([
      { ts: 1000, sensor: 'a', value: 1.5 },
      { ts: 1100, sensor: 'b', value: 200 },
      { ts: 1500, sensor: 'a', value: 2.5 },
      { ts: 2100, sensor: 'b', value: -3 },
      { ts: 2200, sensor: 'a', value: 4 }
    ])
  })

  it('an ix pipeline of our stages also closes the source on break', async () => {
    const src = new CountingSource(i => Buffer.from(`${i},a,1\n`))
    for await (const batch of AsyncIterableX.from(src).pipe(lines() as unknown as (s: AsyncIterable<Buffer>) => AsyncIterableX<LineBatch>)) {
      expect(batch.toArray()).toEqual(['0,a,1'])
      break
    }
    expect(src.finallyRan).toBe(true)
  })
})

describe('each()', () => {
  it('turns batches into single items', async () => {
    const recs = await collect(pipe(fromItems([Buffer.from('1,a,1\n2,b,2\n'), Buffer.from('3,c,3\n')]), lines(), parseCsv({ columns: COLUMNS }), each()))
    expect(recs).toEqual([{ ts: 1, sensor: 'a', value: 1 }, { ts: 2, sensor: 'b', value: 2 }, { ts: 3, sensor: 'c', value: 3 }])
    expect(await collect(pipe(fromItems([LineBatch.of(['x', 'y'])]), each()))).toEqual(['x', 'y'])
  })

  it('does not pull the next batch while items of the current one remain', async () => {
    const src = new CountingSource(i => [i * 2, i * 2 + 1])
    const it = each<number>()(src)[Symbol.asyncIterator]()
    expect((await it.next()).value).toBe(0)
    expect((await it.next()).value).toBe(1)
    expect(src.pulls).toBe(1)
    await it.return?.()
    expect(src.finallyRan).toBe(true)
  })

  it('gives the lines of each batch in order (LineBatch iteration)', async () => {
    expect(linesOf(await collect(pipe(fromItems([Buffer.from('a\nb\n')]), lines())))).toEqual(['a', 'b'])
  })

  it('works on plain RecordBatches', async () => {
    expect(await collect(pipe(fromItems([RecordBatch.fromRows([{ a: 1 }])]), each()))).toEqual([{ a: 1 }])
  })
})
