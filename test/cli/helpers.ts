// Shared by the CLI tests: they run the `sensorpipe` command (bin/sensorpipe, which runs the built
// bundle dist/cli.js) as a user would, in a child process, so `npm run build` must have run first
// (`npm test` does it).
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The built CLI bundle. */
export const CLI = join(ROOT, 'dist', 'cli.js')
/** The `sensorpipe` command as npm installs it: a shell script that runs {@link CLI} (bin/sensorpipe). */
export const COMMAND = join(ROOT, 'bin', 'sensorpipe')

/** The reference job's flags (../shared/bench/REFERENCE.md), without `--file`. */
export const REFERENCE_FLAGS = [
  '--format', 'csv', '--columns', 'ts:time,sensor:string,value:float',
  '--where', 'value >= -40 && value <= 125', '--key', 'sensor', '--time', 'ts', '--window', '1s',
  '--agg', 'count,mean,min,max', '--summary'
]

/** A stack frame line, as Node prints it: no user-facing error may contain one. */
export const STACK_FRAME = '    at '

export interface CliResult {
  /** Exit status, or null when killed by a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Written to the CLI's stdin, which is then closed. Without it stdin is closed at once. */
  input?: string | Buffer
  cwd?: string
}

/** Fails with a clear message when the bundle is missing, instead of every test failing alike. */
export function assertBuilt (): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm test\` does)`)
}

/** Starts `sensorpipe ...args` (bin/sensorpipe, which execs node dist/cli.js) with piped stdio. */
export function startCli (args: readonly string[], options: { cwd?: string } = {}): ChildProcess {
  return spawn(COMMAND, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, SENSORPIPE_DEBUG: '' },
    stdio: ['pipe', 'pipe', 'pipe']
  })
}

/** Collects a child's output until it exits. */
export async function finished (child: ChildProcess): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  return await new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** Runs `sensorpipe ...args` to the end and returns its status and output. */
export async function runCli (args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = startCli(args, options)
  const result = finished(child)
  // A CLI that exits before reading all of its input must not fail the test with EPIPE.
  child.stdin!.on('error', () => {})
  child.stdin!.end(options.input)
  return await result
}

/** Runs a shell script (bash) with arguments `$1...`; for pipelines such as `cli | head`. */
export async function runShell (script: string, args: readonly string[]): Promise<CliResult> {
  const child = spawn('bash', ['-c', script, 'bash', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  return await finished(child)
}

/** The JSON lines of an output, parsed, in output order. */
export function jsonLines (text: string): unknown[] {
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as unknown)
}

/** Records in a stable order, for comparing outputs whose line order is free. */
export function sorted<T> (records: T[]): T[] {
  return [...records].sort((a, b) => {
    const x = JSON.stringify(a)
    const y = JSON.stringify(b)
    return x < y ? -1 : x > y ? 1 : 0
  })
}

/** The stderr lines, without the empty one after the last newline. */
export function stderrLines (r: CliResult): string[] {
  return r.stderr.split('\n').filter(l => l !== '')
}

/** A fresh temporary folder; `remove()` deletes it and everything in it. */
export async function tempDir (): Promise<{ path: string, file: (name: string) => string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'sensorpipe-cli-test-'))
  return { path, file: name => join(path, name), remove: async () => { await rm(path, { recursive: true, force: true }) } }
}

// A test that fails while its CLI is still running must not leave the CLI behind. A bash
// pipeline is started in its own process group, so that the whole group can be killed.
const tracked = new Set<ChildProcess>()

/** Kills every tracked child still running (for `afterEach`). */
export function killTracked (): void {
  for (const child of tracked) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    if (child.spawnargs[0] === 'bash') {
      try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone meanwhile */ }
    } else {
      child.kill('SIGKILL')
    }
  }
  tracked.clear()
}

/** Tracks a child for {@link killTracked}; returns it. */
export function track<T extends ChildProcess> (child: T): T {
  tracked.add(child)
  return child
}

/** Below the 30 s test timeout, so that a stuck wait fails with its own message. */
export const WAIT_MS = 10_000

export interface WatchedCli {
  child: ChildProcess
  /** Resolves once `cond(all of stdout so far)` holds; rejects, naming `what`, if the CLI exits first or WAIT_MS pass. */
  until: (what: string, cond: (stdout: string) => boolean) => Promise<void>
  /** The CLI's status and output once it has exited; rejects, naming `what`, after WAIT_MS. */
  result: (what: string) => Promise<CliResult>
}

/**
 * Starts the CLI and collects its stdout and stderr from the start. `until` looks at all of
 * stdout so far, so output written while the test was awaiting something else (an append to the
 * file the CLI follows: the CLI can read it and write its output before the append's promise
 * settles) still counts.
 */
export function startWatched (args: readonly string[]): WatchedCli {
  return watch(startCli(args))
}

/**
 * {@link startWatched} for a child started some other way (a bash pipeline, say): call it right
 * after spawning, before any await, so that no output is missed. Tracks the child.
 */
export function watch (child: ChildProcess): WatchedCli {
  track(child)
  const done = finished(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const failure = (what: string, why: string): Error =>
    new Error(`${why} waiting for ${what}\nstdout so far: ${JSON.stringify(stdout)}\nstderr so far: ${JSON.stringify(stderr)}`)
  const bounded = async <T>(what: string, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(failure(what, `timed out after ${WAIT_MS} ms`)) }, WAIT_MS)
    })
    try {
      return await Promise.race([work, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
  return {
    child,
    until: async (what, cond) => {
      let off = (): void => {}
      try {
        await bounded(what, new Promise<void>((resolve, reject) => {
          // Added after the collecting listener, so `stdout` already holds the new data.
          const check = (): void => { if (cond(stdout)) resolve() }
          child.stdout!.on('data', check)
          off = () => { child.stdout!.off('data', check) }
          done.then(r => { reject(failure(what, `the CLI exited (${r.code ?? r.signal}) while`)) }, reject)
          check()
        }))
      } finally {
        off()
      }
    },
    result: async what => await bounded(what, done)
  }
}
