// Follow mode's wake-ups, against a writer that appends at every point of the reader's cycle
// (read to the end of the file, stat, arm the watcher, wait). The poll is set to a minute, so a
// change event that is lost shows as a line that does not arrive, not as a short delay: before
// the fix, an append that landed after the read at the end of the file but before the wait was
// set up (its event found no one to wake) waited for the next poll.
import { appendFile, truncate, writeFile } from 'node:fs/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { fromFile } from '../../src/index.js'
import { prng } from '../../scripts/prng.mjs'
import { tempDir, within } from '../helpers.js'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => { dir = await tempDir() })
afterAll(async () => { await dir.remove() })

/** Longer than any test here: only the change events can wake the reader in time. */
const SLOW_POLL_MS = 60_000
/** How long one appended line may take to arrive, or an abort to end the source: a deadline, far above the usual 1 ms. */
const ARRIVAL_MS = 2_000

/** A followed file read in the background; `arrival(n)` resolves once `n` lines have come, `stop()` aborts it. */
interface Follower {
  lines: string[]
  truncations: number
  arrival: (n: number, what: string) => Promise<void>
  stop: () => Promise<void>
}

const followers = new Set<Follower>()
afterEach(async () => {
  for (const f of followers) await f.stop()
  followers.clear()
})

function follow (path: string): Follower {
  const ac = new AbortController()
  const lines: string[] = []
  let rest = ''
  let notify = (): void => {}
  const f: Follower = {
    lines,
    truncations: 0,
    arrival: async (n, what) => {
      let timer: NodeJS.Timeout | undefined
      try {
        await new Promise<void>((resolve, reject) => {
          notify = () => { if (lines.length >= n) resolve() }
          timer = setTimeout(() => {
            reject(new Error(`timed out after ${ARRIVAL_MS} ms waiting for ${what}: ${lines.length} of ${n} lines arrived, the last ${JSON.stringify(lines.slice(-3))}`))
          }, ARRIVAL_MS)
          notify()
        })
      } finally {
        clearTimeout(timer)
        notify = () => {}
      }
    },
    stop: async () => {
      ac.abort()
      await within(done, 'the followed source to end after abort', ARRIVAL_MS)
    }
  }
  const onTruncate = (): void => {
    f.truncations++
    rest = ''
  }
  const done = (async () => {
    for await (const chunk of fromFile(path, { follow: true, pollMs: SLOW_POLL_MS, signal: ac.signal, onTruncate })) {
      const parts = (rest + chunk.toString()).split('\n')
      rest = parts.pop()!
      lines.push(...parts)
      notify()
    }
  })()
  followers.add(f)
  return f
}

/** Waits a little, in one of the ways that land the next append at a different point of the reader's cycle. */
async function jitter (rnd: () => number): Promise<void> {
  const r = rnd()
  if (r < 0.25) return // at once: just after the reader handed on the last chunk
  if (r < 0.7) {
    // A few turns of the event loop: the reader's read, stat and fstat complete on such turns.
    for (let i = Math.floor(rnd() * 8); i > 0; i--) await new Promise(resolve => setImmediate(resolve))
    return
  }
  await new Promise(resolve => setTimeout(resolve, Math.floor(rnd() * 3)))
}

/** Turns the event loop (file I/O goes on, fake timers or not) until `cond` holds, for at most ARRIVAL_MS. */
async function turnsUntil (cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + ARRIVAL_MS
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

describe('fromFile({ follow: true }) wakes for every append', () => {
  it('each of 300 lines appended one at a time, at random moments, arrives without waiting for a poll', async () => {
    const path = dir.file('one-by-one.log')
    await writeFile(path, 'start\n')
    const f = follow(path)
    await f.arrival(1, 'the line in the file at the start')
    const rnd = prng(11)
    const expected = ['start']
    for (let i = 0; i < 300; i++) {
      await jitter(rnd)
      // Now and then a burst: several appends before the reader has caught up.
      const burst = rnd() < 0.15 ? 2 + Math.floor(rnd() * 4) : 1
      for (let j = 0; j < burst; j++) {
        const line = `line ${i}.${j}`
        expected.push(line)
        await appendFile(path, line + '\n')
      }
      await f.arrival(expected.length, `line ${i} (appended after a ${burst > 1 ? `burst of ${burst}` : 'single'} write)`)
    }
    expect(f.lines).toEqual(expected)
  })

  it('lines appended just after a follower starts arrive, for 40 followers in turn', async () => {
    const rnd = prng(5)
    for (let k = 0; k < 40; k++) {
      const path = dir.file(`start-${k}.log`)
      await writeFile(path, k % 2 === 0 ? '' : 'first\n')
      const f = follow(path)
      await jitter(rnd)
      await appendFile(path, 'appended\n')
      await f.arrival(k % 2 === 0 ? 1 : 2, `the line appended just after follower ${k} started`)
      expect(f.lines.at(-1)).toBe('appended')
      await f.stop()
    }
  })

  it('after each of 20 truncations, the lines written next arrive', async () => {
    const path = dir.file('truncated.log')
    await writeFile(path, 'a long first line, so that what is written after a truncation is shorter\n')
    const f = follow(path)
    await f.arrival(1, 'the line in the file at the start')
    const rnd = prng(23)
    const expected = [...f.lines]
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < 5; i++) {
        await jitter(rnd)
        expected.push(`t${t} ${i}`)
        await appendFile(path, `t${t} ${i}\n`)
        await f.arrival(expected.length, `line ${i} after truncation ${t}`)
      }
      await jitter(rnd)
      await truncate(path, 0)
      // What was read before the truncation is longer than anything written before it is seen.
      await appendFile(path, `after ${t}\n`)
      expected.push(`after ${t}`)
      await f.arrival(expected.length, `the first line after truncation ${t}`)
    }
    expect(f.lines).toEqual(expected)
    expect(f.truncations).toBe(20)
  })

  it('ends without waiting for a poll when aborted at random moments, 40 times', async () => {
    const rnd = prng(31)
    for (let k = 0; k < 40; k++) {
      const path = dir.file(`abort-${k}.log`)
      await writeFile(path, 'x\n')
      const f = follow(path)
      await f.arrival(1, `the line in file ${k}`)
      await jitter(rnd)
      await f.stop() // within ARRIVAL_MS, far below the minute's poll
    }
  })

  it('leaves no timer behind when stopped while waiting', async () => {
    // Fake timers count only the timers made here (the follower's poll, this file's deadlines),
    // not whatever else the process has running.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const path = dir.file('stop.log')
      await writeFile(path, 'x\n')
      const f = follow(path)
      await f.arrival(1, 'the line in the file at the start')
      await turnsUntil(() => vi.getTimerCount() === 1, 'the follower to wait, with its poll timer, at the end of the file')
      await f.stop()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})
