/** A node of an {@link Lru} list: the links live in the node, so moving it allocates nothing. */
export interface LruNode {
  newer: LruNode | null
  older: LruNode | null
}

/**
 * An intrusive doubly linked list ordered by last use: `touch` moves a node to the newest end,
 * `oldest` is the one to evict. Every operation is O(1) and allocates nothing.
 */
export class Lru<T extends LruNode> {
  newest: T | null = null
  oldest: T | null = null
  size = 0

  /** Adds a node that is in no list, as the newest. */
  add (node: T): void {
    node.newer = null
    node.older = this.newest
    if (this.newest !== null) this.newest.newer = node
    else this.oldest = node
    this.newest = node
    this.size++
  }

  /** Makes a node of this list the newest. */
  touch (node: T): void {
    if (node === this.newest) return
    const newer = node.newer!
    const older = node.older
    newer.older = older
    if (older !== null) older.newer = newer
    else this.oldest = newer as T
    node.newer = null
    node.older = this.newest
    this.newest!.newer = node
    this.newest = node
  }

  /** Takes a node out of this list. */
  remove (node: T): void {
    const { newer, older } = node
    if (newer !== null) newer.older = older
    else this.newest = older as T | null
    if (older !== null) older.newer = newer
    else this.oldest = newer as T | null
    node.newer = node.older = null
    this.size--
  }

  /** Empties the list (the nodes keep stale links: drop them too). */
  clear (): void {
    this.newest = this.oldest = null
    this.size = 0
  }
}

/** A node that carries the sequence number of its last use. */
export interface Stamped extends LruNode {
  touched: number
}

/**
 * Least-recently-used order that costs one stamp per use while it is not needed: the caller
 * stamps each node it uses (`node.touched = ++seq`) and calls `list.touch(node)` only while `on`.
 * The first eviction sorts the live nodes by stamp into the list (O(K log K), once per time the
 * bound is reached) and keeps it exact from then on; `relax` turns it off again once fewer than
 * half the bound are live. Eviction is O(1) while on; the order is exact whenever it is read.
 */
export class Recency<T extends Stamped> {
  readonly list = new Lru<T>()
  on = false
  constructor (private readonly live: () => Iterable<T>) {}

  added (node: T): void { if (this.on) this.list.add(node) }
  removed (node: T): void { if (this.on) this.list.remove(node) }

  /** The least recently used live node. */
  oldest (): T | null {
    if (!this.on) {
      const nodes = [...this.live()].sort((a, b) => a.touched - b.touched)
      this.list.clear()
      for (const node of nodes) this.list.add(node)
      this.on = true
    }
    return this.list.oldest
  }

  /** Stops keeping the order while `size` is under half of `bound`. */
  relax (size: number, bound: number): void {
    if (this.on && size < bound / 2) { this.on = false; this.list.clear() }
  }
}
