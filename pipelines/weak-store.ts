// The weak store, the article's `DataStore` done right. The article keeps sensor readings in a
// store through weak references, so a reading disappears from the store once nothing else uses
// it. In Python the example fails: a plain dict cannot be weakly referenced. In TypeScript any
// object can, through WeakRef and FinalizationRegistry; WeakStore wraps them (docs/memory.md).
//
//   sensorpipe run pipelines/weak-store.ts
//
// Two readings are added, the only strong references to them are dropped, and after a clean-up
// (which asks V8 for a full garbage collection) the store no longer has them.
import { definePipeline, WeakStore } from 'sensorpipe'

interface Reading { sensor: string, ts: number, value: number }

export default definePipeline({
  description: 'the weak store: readings held weakly are gone once nothing else uses them',
  options: {},
  async main ({ stdout }) {
    const say = (line: string): void => { stdout.write(line + '\n') }
    const show = (r: Reading | undefined): string => r === undefined ? 'gone' : `${r.sensor} ${r.value} at ${new Date(r.ts).toISOString()}`
    const store = new WeakStore<string, Reading>()

    // The only strong references to the two readings are these two variables.
    let first: Reading | undefined = { sensor: 'dev-01', ts: Date.UTC(2024, 0, 1, 12), value: 21.5 }
    let second: Reading | undefined = { sensor: 'dev-02', ts: Date.UTC(2024, 0, 1, 12), value: 19.25 }
    store.add('reading-1', first)
    store.add('reading-2', second)
    say(`added:           reading-1 = ${show(store.get('reading-1'))}, reading-2 = ${show(store.get('reading-2'))}`)
    const again = store.add('reading-1', { sensor: 'dev-01', ts: Date.UTC(2024, 0, 1, 12, 1), value: 22 })
    say(`add reading-1 again: ${again ? 'replaced' : 'refused, a live entry is never overwritten'}`)

    first = undefined
    second = undefined
    say('strong references dropped; cleaning up...')
    const swept = await store.cleanUp()
    say(`after clean-up:  reading-1 = ${show(store.get('reading-1'))}, reading-2 = ${show(store.get('reading-2'))}`)
    say(`entries swept: ${swept}, entries left: ${store.size}, collected in all: ${store.stats.collected}`)
  }
})
