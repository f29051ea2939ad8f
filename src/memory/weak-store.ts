// node:v8 and node:vm are fetched on first use (process.getBuiltinModule), not imported: the CLI
// bundle hoists static imports of built-ins to its top, and node:v8 costs about 1 ms to load.

/** Live counters of a {@link WeakStore}. */
export interface WeakStoreStats {
  /** Entries added. */
  added: number
  /** `add` calls refused because a live entry had that id. */
  refused: number
  /** Entries whose value was collected (found by `get`, `cleanUp` or the finalizer). */
  collected: number
}

/**
 * A map from ids to objects that does not keep the objects alive: it holds each value through a
 * `WeakRef`, so once nothing else uses a reading, the garbage collector may take it and `get`
 * returns `undefined`. A `FinalizationRegistry` removes the entries of collected values; `cleanUp`
 * sweeps them at once. Holds one small entry per id whose value is still alive (plus entries not
 * yet swept); the values themselves are not counted against any bound of sensorpipe's.
 *
 * When to use one: a cache or a view of things that live elsewhere (the last reading per sensor,
 * shown on demand) where keeping a value alive only for the view would be a leak. When not to:
 * as the only reference to data you need later (it will vanish), for primitives (they cannot be
 * held weakly), or where you need a size bound that holds now rather than after a collection;
 * a bounded LRU map is the tool for that.
 *
 * A value added or read (`add`, `get`, `entries`) stays alive at least until the current job of
 * the event loop has ended: the language keeps every WeakRef target touched in a job until then.
 * `cleanUp` waits for that; code that streams many values through `add` in one long chain of
 * promises (no I/O in between) holds them all until the chain yields to the event loop.
 * See docs/memory.md for when a weak store is the right tool.
 *
 * @example
 * ```ts
 * const store = new WeakStore<string, { value: number }>()
 * let reading: { value: number } | undefined = { value: 21.5 }
 * store.add('dev-01', reading)
 * reading = undefined            // nothing else holds it now
 * await store.cleanUp()          // with --expose-gc: collects it
 * store.get('dev-01')            // undefined once collected
 * ```
 */
export class WeakStore<K, V extends object> {
  readonly #refs = new Map<K, WeakRef<V>>()
  readonly #registry: FinalizationRegistry<{ key: K, ref: WeakRef<V> } | typeof SETTLED>
  #settled = false
  readonly stats: WeakStoreStats = { added: 0, refused: 0, collected: 0 }

  constructor () {
    this.#registry = new FinalizationRegistry(held => {
      if (held === SETTLED) { this.#settled = true; return }
      // Only the entry for this very value: the id may hold a newer value by now.
      if (this.#refs.get(held.key) === held.ref) { this.#refs.delete(held.key); this.stats.collected++ }
    })
  }

  /**
   * Adds `value` under `id`, unless a live value is there already (returns false: a live
   * entry is never overwritten; `delete` it first). Throws a TypeError for a non-object value.
   */
  add (id: K, value: V): boolean {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      throw new TypeError('WeakStore values must be objects (primitives cannot be held weakly)')
    }
    const old = this.#refs.get(id)
    if (old !== undefined) {
      if (old.deref() !== undefined) { this.stats.refused++; return false }
      // The old value was collected and its entry not yet swept: count it now, as a sweep would.
      this.#registry.unregister(old)
      this.stats.collected++
    }
    const ref = new WeakRef(value)
    this.#refs.set(id, ref)
    this.#registry.register(value, { key: id, ref }, ref)
    this.stats.added++
    return true
  }

  /** The value under `id`, or undefined when there is none or it has been collected. */
  get (id: K): V | undefined {
    const ref = this.#refs.get(id)
    if (ref === undefined) return undefined
    const v = ref.deref()
    if (v === undefined) { this.#refs.delete(id); this.#registry.unregister(ref); this.stats.collected++ }
    return v
  }

  /** True when a live value is held under `id`. */
  has (id: K): boolean {
    return this.get(id) !== undefined
  }

  /** Removes the entry under `id`; true if there was one. */
  delete (id: K): boolean {
    const ref = this.#refs.get(id)
    if (ref === undefined) return false
    this.#registry.unregister(ref)
    return this.#refs.delete(id)
  }

  /** Entries held, dead ones not yet swept included. */
  get size (): number { return this.#refs.size }

  /** The ids whose values are still alive. */
  * keys (): IterableIterator<K> {
    for (const [k, ref] of this.#refs) if (ref.deref() !== undefined) yield k
  }

  /** The live entries. */
  * entries (): IterableIterator<[K, V]> {
    for (const [k, ref] of this.#refs) { const v = ref.deref(); if (v !== undefined) yield [k, v] }
  }

  /**
   * Asks for a full garbage collection when one can be had (`--expose-gc`, or V8's
   * `--expose-gc` flag set at run time, see {@link collector}), lets two turns of the event loop
   * pass so that values touched in the current job may go, collects again, lets the finalizers
   * run, then sweeps the entries whose values are gone. Resolves with how many entries went
   * during the clean-up (swept, or removed by the finalizers). Without a way to collect, it only
   * sweeps what the collector has already taken.
   */
  async cleanUp (): Promise<number> {
    const before = this.stats.collected
    const gc = collector()
    if (gc !== undefined) {
      // First let any cleanup pending elsewhere run: collecting now could drop a registry that
      // is waiting for one (see below).
      await turn()
      gc()
      // WeakRef targets touched in a job are kept until that job ends; measured on Node 20, a
      // target added just before this call is released only after the second turn.
      await turn()
      await turn()
      // A sentinel that dies in the next collection tells when this registry's finalizers have
      // run. Waiting for them (one turn, measured) leaves no cleanup pending: V8 in Node 20 stops
      // running every FinalizationRegistry's callbacks, for good, when a registry with a pending
      // cleanup becomes garbage and a full collection comes before the cleanup (docs/memory.md).
      this.#settled = false
      this.#registerSentinel()
      gc()
      for (let i = 0; i < 20 && !this.#settled; i++) await turn()
    }
    this.sweep()
    return this.stats.collected - before
  }

  // In a function of its own, so that no local of the caller keeps the sentinel alive.
  #registerSentinel (): void {
    this.#registry.register({}, SETTLED)
  }

  /**
   * Removes the entries whose values have been collected, without asking for a collection.
   * Returns how many were removed. Cheap: one `deref` per entry.
   */
  sweep (): number {
    let swept = 0
    for (const [k, ref] of this.#refs) {
      if (ref.deref() === undefined) { this.#refs.delete(k); this.#registry.unregister(ref); swept++ }
    }
    this.stats.collected += swept
    return swept
  }
}

let cachedGc: (() => void) | null | undefined

// The held value of cleanUp's sentinel.
const SETTLED = Symbol('settled')

async function turn (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/**
 * A function that runs a full garbage collection: `global.gc` when the process has it
 * (`node --expose-gc`), else one obtained by setting V8's `--expose-gc` flag at run time and
 * reading `gc` in a new V8 context (which stays alive, about 1 MB); undefined if neither works.
 * The result is cached. A full collection stops the program for a few milliseconds on a small
 * heap: call it at a bounded rate.
 *
 * @example
 * ```ts
 * const gc = collector()
 * gc?.()
 * ```
 */
export function collector (): (() => void) | undefined {
  if (cachedGc !== undefined) return cachedGc ?? undefined
  const g = (globalThis as { gc?: () => void }).gc
  if (typeof g === 'function') { cachedGc = g; return g }
  try {
    // A context created after the flag is set gets its own gc function; it collects the whole heap.
    process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc')
    const fn = process.getBuiltinModule('node:vm').runInNewContext('gc') as unknown
    cachedGc = typeof fn === 'function' ? fn as () => void : null
  } catch {
    cachedGc = null
  }
  return cachedGc ?? undefined
}
