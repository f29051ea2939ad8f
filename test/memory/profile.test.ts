// The profile report: one self-contained HTML file, charts in inline SVG, nothing fetched.
import { describe, expect, it } from 'vitest'
import { heapMonitor, lines, parseCsv, renderProfile } from '../../src/index.js'
import { collect } from '../helpers.js'
import { referenceSource } from './helpers.js'

async function profiled (maxHeap?: number): Promise<string> {
  const monitor = heapMonitor({ profile: true, gcEvery: 0, maxHeap })
  await collect(monitor.pipe(referenceSource(30_000), lines(), parseCsv({ columns: 'ts:time,sensor:string,value:float' }),
    async function * weird<T> (s: AsyncIterable<T>): AsyncGenerator<T> { yield * s }))
  return renderProfile(await monitor.finish(), { command: 'sensorpipe run <demo> & "more"', started: new Date(0), notes: ['summary lines=30000'] })
}

describe('renderProfile', () => {
  it('is one HTML document with a heap chart and a throughput, heap and time chart per stage', async () => {
    const html = await profiled(512)
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html.trimEnd().endsWith('</html>')).toBe(true)
    expect(html).toContain('<h2>Heap in use over time</h2>')
    expect(html).toContain('1970-01-01T00:00:00.000Z')
    expect(html).toContain('summary lines=30000')
    // 1 overview chart + 3 per stage (source, lines, parseCsv, weird)
    expect(html.match(/<svg /g)).toHaveLength(1 + 3 * 4)
    for (const stage of ['source', 'lines', 'parseCsv', 'weird']) expect(html).toContain(`${stage}</h3>`.replace('</h3>', ' <span'))
    expect(html).toContain('budget 512')
    // text is escaped
    expect(html).toContain('sensorpipe run &lt;demo&gt; &amp; &quot;more&quot;')
    expect(html).not.toContain('<demo>')
  })

  it('needs nothing from outside the file: no scripts, links, images, fonts or URLs', async () => {
    const html = await profiled()
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i)
    expect(html).not.toMatch(/\s(src|href)=/i)
    expect(html.match(/https?:\/\//g) ?? []).toEqual([])
    expect(html).not.toContain('budget')
  })

  it('says so when there is no time series', () => {
    const monitor = heapMonitor()
    const html = renderProfile(monitor.report())
    expect(html).toContain('No time series')
    expect(html).not.toContain('<svg')
  })
})
