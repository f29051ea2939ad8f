// A virtual serial cable for the CLI tests: `socat` joins two pseudo-terminals, and what is written
// into one end (`a`) comes out of the other (`b`), which the CLI opens with --port. Stopping socat
// makes both ends go away, as unplugging a USB adapter does; starting it again brings them back
// at the same paths.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Whether socat can be run here. */
export const HAS_SOCAT = spawnSync('socat', ['-V'], { stdio: 'ignore' }).error === undefined

/** Under CI=true a missing socat fails the tests; elsewhere they are skipped with this note. */
export const SOCAT_MISSING = 'socat is not installed, so the serial tests that need a pseudo-terminal pair cannot run ' +
  '(apt-get install socat; .ci/run installs it under CI=true)'

export class PtyPair {
  readonly a: string
  readonly b: string
  #socat: ChildProcess | undefined
  #fd: number | undefined

  constructor (dir: string, name = 'tty') {
    this.a = join(dir, `${name}-a`)
    this.b = join(dir, `${name}-b`)
  }

  /** Starts socat and waits until both ends exist. */
  async start (): Promise<void> {
    // Reached only under CI=true (elsewhere the tests are skipped): each test fails saying why.
    if (!HAS_SOCAT) throw new Error(SOCAT_MISSING)
    const socat = spawn('socat', [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: 'ignore' })
    this.#socat = socat
    for (let i = 0; i < 500 && !(existsSync(this.a) && existsSync(this.b)); i++) {
      if (socat.exitCode !== null) throw new Error(`socat exited (${socat.exitCode}) before creating ${this.a} and ${this.b}`)
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    if (!existsSync(this.a) || !existsSync(this.b)) throw new Error('socat did not create the pty pair')
  }

  /** Writes into end `a` (kept open until stop()). */
  write (text: string): void {
    this.#fd ??= openSync(this.a, 'w')
    writeSync(this.#fd, text)
  }

  /** Stops socat (both ends go away) and waits for it to exit. */
  async stop (): Promise<void> {
    if (this.#fd !== undefined) { closeSync(this.#fd); this.#fd = undefined }
    const socat = this.#socat
    this.#socat = undefined
    if (socat === undefined || socat.exitCode !== null || socat.signalCode !== null) return
    const exited = new Promise(resolve => socat.once('exit', resolve))
    socat.kill('SIGTERM')
    await exited
  }
}
