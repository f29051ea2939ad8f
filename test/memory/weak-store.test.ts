// WeakStore: a map that holds its values weakly. The collection tests need a garbage collector:
// vitest.config.ts runs the forks with --expose-gc, and collector() can make one without it.
import { describe, expect, it } from 'vitest'
import { collector, WeakStore } from '../../src/index.js'
import { waitUntil } from '../helpers.js'
import { turns } from './helpers.js'

interface Reading { sensor: string, value: number }

// Adds the values in a function of its own, so that no local of the test keeps them alive.
function addTwo (store: WeakStore<string, Reading>): void {
  store.add('r1', { sensor: 'dev-01', value: 21.5 })
  store.add('r2', { sensor: 'dev-02', value: 19.25 })
}

describe('WeakStore', () => {
  it('gives back what was added, by id, while the value is alive', () => {
    const store = new WeakStore<string, Reading>()
    const r = { sensor: 'dev-01', value: 21.5 }
    expect(store.add('r1', r)).toBe(true)
    expect(store.get('r1')).toBe(r)
    expect(store.has('r1')).toBe(true)
    expect(store.get('nope')).toBeUndefined()
    expect(store.size).toBe(1)
    expect([...store.keys()]).toEqual(['r1'])
    expect([...store.entries()]).toEqual([['r1', r]])
    expect(store.stats).toEqual({ added: 1, refused: 0, collected: 0 })
  })

  it('never overwrites a live entry: add returns false and counts the refusal', () => {
    const store = new WeakStore<string, Reading>()
    const r = { sensor: 'dev-01', value: 21.5 }
    store.add('r1', r)
    expect(store.add('r1', { sensor: 'dev-01', value: 99 })).toBe(false)
    expect(store.get('r1')).toBe(r)
    expect(store.stats.refused).toBe(1)
    // delete first, then the id is free
    expect(store.delete('r1')).toBe(true)
    expect(store.delete('r1')).toBe(false)
    const r2 = { sensor: 'dev-01', value: 22 }
    expect(store.add('r1', r2)).toBe(true)
    expect(store.get('r1')).toBe(r2)
  })

  it('refuses primitives with a TypeError (they cannot be held weakly)', () => {
    const store = new WeakStore<string, object>()
    expect(() => store.add('x', 42 as unknown as object)).toThrow(TypeError)
    expect(() => store.add('x', null as unknown as object)).toThrow(TypeError)
  })

  it('hands out a collector (global.gc here, or one made through V8 flags)', () => {
    const gc = collector()
    expect(typeof gc).toBe('function')
    expect(collector()).toBe(gc) // cached
  })

  it('the article\'s scenario: two readings added, strong references dropped, gone after cleanUp', async () => {
    const store = new WeakStore<string, Reading>()
    let first: Reading | undefined = { sensor: 'dev-01', value: 21.5 }
    let second: Reading | undefined = { sensor: 'dev-02', value: 19.25 }
    store.add('reading-1', first)
    store.add('reading-2', second)
    // read back in this very job: WeakRef keeps what it gave out alive until the job ends, and
    // cleanUp must wait for that
    expect(store.get('reading-1')?.value).toBe(21.5)
    expect(store.get('reading-2')?.value).toBe(19.25)
    first = undefined
    second = undefined
    expect(first ?? second).toBeUndefined()

    const swept = await store.cleanUp()

    expect(swept).toBe(2)
    expect(store.get('reading-1')).toBeUndefined()
    expect(store.get('reading-2')).toBeUndefined()
    expect(store.size).toBe(0)
    expect(store.stats.collected).toBe(2)
  })

  it('keeps values that are still used elsewhere through a cleanUp', async () => {
    const store = new WeakStore<string, Reading>()
    const kept = { sensor: 'dev-03', value: 7 }
    store.add('kept', kept)
    addTwo(store)
    await store.cleanUp()
    expect(store.get('kept')).toBe(kept)
    expect(store.get('r1')).toBeUndefined()
    expect([...store.keys()]).toEqual(['kept'])
  })

  it('the FinalizationRegistry removes the entries of collected values without a cleanUp', async () => {
    const store = new WeakStore<string, Reading>()
    addTwo(store)
    expect(store.size).toBe(2)
    const gc = collector()!
    await turns(2)
    gc()
    // Finalizers run in a later task; collect again until they have.
    await waitUntil(() => { gc(); return store.size === 0 }, 'the finalizers to remove both entries', 5000)
    expect(store.stats.collected).toBe(2)
    expect(store.get('r1')).toBeUndefined()
  })

  it('sweep() removes the dead entries without asking for a collection', async () => {
    const store = new WeakStore<string, Reading>()
    addTwo(store)
    expect(store.sweep()).toBe(0) // alive until the job ends
    await turns(2)
    collector()!()
    collector()!()
    const swept = store.sweep()
    // either the finalizers or this sweep removed them, never both
    expect(swept + (2 - store.size - swept)).toBe(2)
    expect(store.size).toBe(0)
    expect(store.stats.collected).toBe(2)
    // Let the finalizers run before the store is dropped (a registry dropped with a cleanup
    // pending, then collected, stops every finalizer in Node 20; docs/memory.md).
    await turns(2)
  })

  it('a store dropped after cleanUp leaves the finalizers of everything else working', async () => {
    // Node 20's V8 stops all finalizers for good when a registry with a cleanup pending is
    // collected before the cleanup runs; cleanUp waits for its cleanup so that dropping the store
    // right after it is safe.
    for (let round = 0; round < 3; round++) {
      const store = new WeakStore<string, Reading>()
      addTwo(store)
      store.get('r1')
      await store.cleanUp()
    }
    const gc = collector()!
    gc()
    gc()
    const fired: string[] = []
    const registry = new FinalizationRegistry<string>(held => { fired.push(held) })
    ;(() => { registry.register({}, 'later') })()
    await waitUntil(() => { gc(); return fired.length === 1 }, 'a later registry\'s finalizer', 5000)
    expect(fired).toEqual(['later'])
  })

  it('a dead entry is replaced by add and counted as collected', async () => {
    const store = new WeakStore<string, Reading>()
    addTwo(store)
    await turns(2)
    collector()!()
    const fresh = { sensor: 'dev-01', value: 1 }
    expect(store.add('r1', fresh)).toBe(true)
    expect(store.get('r1')).toBe(fresh)
    await store.cleanUp()
    expect(store.stats.collected).toBe(2)
  })
})
