// Runs every case of test/corpus/ (cases.json says how and what to expect) through the CLI with a
// dead-letter file, and checks that nothing crashes, the counts are the expected ones, and every
// rejected line can be replayed from the dead-letter file byte for byte. The large cases are
// generated into a temporary folder by scripts/make-corpus.mjs; the committed small files must be
// exactly what that script writes.
import { execFile, spawn } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, CLI, type CliResult, finished, ROOT, STACK_FRAME, stderrLines, tempDir } from '../cli/helpers.js'
import { referenceLines } from '../helpers.js'

const CORPUS = join(ROOT, 'test', 'corpus')
const SCRIPT = join(ROOT, 'scripts', 'make-corpus.mjs')
const MAX_RSS = join(ROOT, 'test', 'reliability', 'max-rss.mjs')
const MiB = 1 << 20

interface Run {
  args: string[]
  stderr: string[]
  stdout?: unknown[]
  stdoutLines?: number
  exit?: number
  nodeArgs?: string[]
  maxRssMiB?: number
}
interface Case { file: string, what: string, large?: boolean, runs: Run[] }
const { cases } = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Case[] }

let tmp: Awaited<ReturnType<typeof tempDir>>
let generated: string
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
  generated = tmp.file('generated')
  await promisify(execFile)(process.execPath, [SCRIPT, '--large', '--out', generated])
}, 120_000)
afterAll(async () => { await tmp.remove() })

interface Measured extends CliResult { maxRss: number }

/** `node [nodeArgs] dist/cli.js run --file FILE ...args`, with its peak RSS measured. */
async function cli (file: string, args: string[], nodeArgs: string[] = []): Promise<Measured> {
  const rssFile = tmp.file(`rss-${Math.random().toString(36).slice(2)}`)
  const child = spawn(process.execPath, [...nodeArgs, '--import', MAX_RSS, CLI, 'run', '--file', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, SENSORPIPE_DEBUG: '', SENSORPIPE_MAX_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const r = await finished(child)
  return { ...r, maxRss: Number(await readFile(rssFile, 'utf8').catch(() => 'NaN')) }
}


interface DeadRecord { stage: string, reason: string, line: number, raw: string, rawBase64?: string, truncated?: boolean }

describe('test/corpus', () => {
  it('the committed files are exactly what scripts/make-corpus.mjs writes', async () => {
    const out = tmp.file('small')
    await promisify(execFile)(process.execPath, [SCRIPT, '--out', out])
    const made = readdirSync(out).sort()
    const committed = readdirSync(CORPUS).filter(f => !['README.md', 'cases.json'].includes(f)).sort()
    expect(committed).toEqual(made)
    for (const f of made) expect((await readFile(join(out, f))).equals(await readFile(join(CORPUS, f))), f).toBe(true)
  })

  it('every file has a case, every case a file, and the README lists every case', async () => {
    const readme = await readFile(join(CORPUS, 'README.md'), 'utf8')
    const small = readdirSync(CORPUS).filter(f => !['README.md', 'cases.json'].includes(f)).sort()
    expect(cases.filter(c => c.large !== true).map(c => c.file).sort()).toEqual(small)
    expect(cases.filter(c => c.large === true).map(c => c.file).sort()).toEqual(readdirSync(generated).sort())
    for (const c of cases) expect(readme, c.file).toContain(`\`${c.file}\``)
  })

  for (const c of cases) {
    describe(`${c.file}: ${c.what}`, () => {
      c.runs.forEach((run, k) => {
        it(`run ${run.args.join(' ')}: the expected counts, no crash, every rejection replayable from the dead-letter file`, async () => {
          const path = c.large === true ? join(generated, c.file) : join(CORPUS, c.file)
          const dead = tmp.file(`dead-${c.file}-${k}.jsonl`)
          const r = await cli(path, [...run.args, '--summary', '--on-error', `dead-letter:${dead}`], run.nodeArgs)
          expect(r.stderr).not.toContain(STACK_FRAME)
          expect(r.code, r.stderr).toBe(run.exit ?? 0)
          const lines = stderrLines(r)
          expect(lines).toHaveLength(run.stderr.length)
          run.stderr.forEach((want, i) => {
            if (want.startsWith('/')) expect(lines[i]).toMatch(new RegExp(want.slice(1, -1)))
            else expect(lines[i]).toBe(want)
          })
          const out = r.stdout.split('\n').filter(l => l !== '')
          if (run.stdout !== undefined) expect(out.map(l => JSON.parse(l) as unknown)).toEqual(run.stdout)
          if (run.stdoutLines !== undefined) expect(out).toHaveLength(run.stdoutLines)
          if (run.maxRssMiB !== undefined) expect(r.maxRss / MiB).toBeLessThan(run.maxRssMiB)

          // Nothing lost silently: one dead-letter record per malformed line, each the line's bytes.
          const malformed = Number(/malformed=(\d+)/.exec(lines[0]!)![1])
          const records = (await readFile(dead, 'utf8')).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as DeadRecord)
          expect(records).toHaveLength(malformed)
          const input = referenceLines(await readFile(path))
          for (const rec of records) {
            const bytes = rec.rawBase64 !== undefined ? Buffer.from(rec.rawBase64, 'base64') : Buffer.from(rec.raw, 'utf8')
            const n = bytes.reduce((a, ch) => a + (ch === 0x0a ? 1 : 0), 0) // a multi-line CSV record
            const expected = Buffer.concat(input.slice(rec.line - 1, rec.line + n).flatMap((l, i) => i === 0 ? [l] : [Buffer.from('\n'), l]))
            if (rec.truncated === true) expect(bytes.equals(expected.subarray(0, 256)), `line ${rec.line}`).toBe(true)
            else expect(bytes.equals(expected), `line ${rec.line} (${rec.reason})`).toBe(true)
          }
        })
      })
    })
  }

  it('a line without a newline: peak RSS does not grow with it (64 MiB and 256 MiB)', async () => {
    const bigger = tmp.file('long-line-256.txt')
    const ws = createWriteStream(bigger)
    const chunk = Buffer.alloc(MiB, 'x')
    for (let i = 0; i < 256; i++) if (!ws.write(chunk)) await once(ws, 'drain')
    ws.end()
    await once(ws, 'finish')
    const r64 = await cli(join(generated, 'long-line.large.txt'), ['--format', 'json', '--summary'])
    const r256 = await cli(bigger, ['--format', 'json', '--summary'])
    for (const r of [r64, r256]) expect(stderrLines(r)[0]).toBe('summary lines=1 malformed=1 filtered=0 emitted=0')
    // Holding the line would add 192 MiB; reading it in 256 KiB chunks adds nothing.
    expect((r256.maxRss - r64.maxRss) / MiB, `peak RSS ${r64.maxRss / MiB} MiB, then ${r256.maxRss / MiB} MiB`).toBeLessThan(48)
  })
})
