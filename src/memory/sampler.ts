// Which stage allocated the memory that is still live: V8's sampling heap profiler, driven through
// an in-process inspector session. The profiler records the stack of one allocation per
// `interval` bytes and forgets a sample when its object is collected, so what it returns after
// a full collection is the live memory by allocating stack. Stage generators are named
// (`function * leakyStage`), so each stack can be charged to the innermost stage on it.
import type * as Inspector from 'node:inspector'

/** Live sampled bytes charged to one stage (or to `(other)`: no stage on the allocating stack). */
export interface AllocationShare {
  stage: string
  bytes: number
}

interface ProfileNode {
  callFrame: { functionName: string }
  selfSize: number
  children: ProfileNode[]
}

/**
 * Samples allocations from `start()` on. Costs about 1-3% of the run at the default interval
 * (one stack captured per 128 KiB allocated). Does nothing where the inspector is not built into
 * Node (`process.getBuiltinModule('node:inspector')` fails) or cannot be started.
 */
export class AllocationSampler {
  readonly #interval: number
  #session: Inspector.Session | undefined

  constructor (interval = 128 * 1024) {
    this.#interval = interval
  }

  /** True once sampling runs. */
  get active (): boolean { return this.#session !== undefined }

  async start (): Promise<void> {
    if (this.#session !== undefined) return
    try {
      const inspector = process.getBuiltinModule('node:inspector')
      const session = new inspector.Session()
      session.connect()
      await post(session, 'HeapProfiler.enable')
      await post(session, 'HeapProfiler.startSampling', { samplingInterval: this.#interval })
      this.#session = session
    } catch {
      this.#session = undefined
    }
  }

  /**
   * The live sampled bytes (call after a full collection) charged to stages: `frames` maps a
   * generator's function name (`parseCsvStage`) to the stage's display name (`parseCsv`). Largest
   * first; empty when not sampling.
   */
  async shares (frames: ReadonlyMap<string, string>): Promise<AllocationShare[]> {
    if (this.#session === undefined) return []
    let head: ProfileNode
    try {
      head = (await post(this.#session, 'HeapProfiler.getSamplingProfile') as { profile: { head: ProfileNode } }).profile.head
    } catch {
      return []
    }
    const bytes = new Map<string, number>()
    // Depth-first with an explicit stack: profiles of deep recursion must not overflow ours.
    const stack: Array<[ProfileNode, string]> = [[head, '(other)']]
    while (stack.length > 0) {
      const [node, inherited] = stack.pop()!
      const stage = frames.get(node.callFrame.functionName) ?? inherited
      if (node.selfSize > 0) bytes.set(stage, (bytes.get(stage) ?? 0) + node.selfSize)
      for (const child of node.children) stack.push([child, stage])
    }
    return [...bytes].map(([stage, b]) => ({ stage, bytes: b })).sort((a, b) => b.bytes - a.bytes)
  }

  async stop (): Promise<void> {
    const session = this.#session
    this.#session = undefined
    if (session === undefined) return
    try {
      await post(session, 'HeapProfiler.stopSampling')
      await post(session, 'HeapProfiler.disable')
    } catch { /* the session is going away anyway */ }
    session.disconnect()
  }
}

async function post (session: Inspector.Session, method: string, params?: object): Promise<unknown> {
  return await new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => { if (err != null) reject(err); else resolve(result) })
  })
}
