// The CLI's start-up: the command's code is one CommonJS bundle (dist/cli-bundle.cjs), compiled
// here with the V8 code cache that the build made for it (dist/cli-bundle.cache), so that a run
// neither parses the 450 KB bundle nor compiles its functions one by one as they are first
// called, and Node's ES module loader is not needed for it. See docs/architecture.md ("What the
// build makes of the CLI") and docs/performance.md ("The seventh session").
//
// Why our own loader and not Node's: Node 20 has no compile cache for modules
// (module.enableCompileCache() arrived in Node 22), and vm.Script is V8's documented way to
// produce and consume a code cache.
//
// A cache is used only when it is the one made for this bundle: the build writes a hash of the
// bundle's text on its first line (`//# sensorpipe-build <hash>`) and the same hash and the
// bundle's size in the cache's header; and V8 itself rejects a cache made by another V8 version or
// with other V8 flags. (Not the modification time: npm sets every file of a packed package to
// the same date.) Without a usable cache (missing, stale, rejected) the bundle compiles the usual
// way, just a little later: the cache changes when code is compiled, never what it does.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { Script } from 'node:vm'

const MAGIC = 0x32435053 // 'SPC2', little-endian
const ID = 16 // characters of the build hash
const HEADER = 8 + ID // magic (u32), bundle size in bytes (u32), build hash (ASCII)
const ID_LINE = '//# sensorpipe-build '

/** The build hash on the first line of a bundle's text, or undefined. */
export function buildIdOf (source: string): string | undefined {
  return source.startsWith(ID_LINE) ? source.slice(ID_LINE.length, ID_LINE.length + ID) : undefined
}

/** The first line the build puts on the bundle: its build hash `id`, the first 16 hex digits of a SHA-256 of its text. */
export function buildIdLine (id: string): string {
  if (!/^[0-9a-f]+$/.test(id) || id.length !== ID) throw new TypeError(`a build id is ${ID} hexadecimal digits`)
  return `${ID_LINE}${id}\n`
}

// The wrapper Node gives a CommonJS module (Module.wrap), so that the bundle's own `require`,
// `module`, `__filename` and `__dirname` are what a required .cjs file would see; and
// `__spImport`, the import() the bundle uses (src/cli/shims/import-module.ts): in Node 20, an
// import() written in a vm.Script compiled with a code cache fails ("A dynamic import callback was
// not specified"), and the option that makes it work without one prints an experimental warning.
const wrap = (source: string): string => `(function (exports, require, module, __filename, __dirname, __spImport) { ${source}\n})`

/** The bundle compiled, and whether a code cache was given and accepted. */
export interface CompiledBundle {
  readonly script: Script
  readonly cached: 'accepted' | 'rejected' | 'none'
}

/**
 * Compiles the bundle at `bundlePath`, with the code cache at `cachePath` when that file is the
 * cache of this bundle (its header has the bundle's size and build hash).
 */
export function compileBundle (bundlePath: string, cachePath: string | undefined): CompiledBundle {
  const text = readFileSync(bundlePath)
  const source = text.toString('utf8')
  let cachedData: Buffer | undefined
  const id = buildIdOf(source)
  if (cachePath !== undefined && id !== undefined) {
    try {
      const file = readFileSync(cachePath)
      if (file.length > HEADER && file.readUInt32LE(0) === MAGIC && file.readUInt32LE(4) === text.length && file.toString('latin1', 8, HEADER) === id) {
        cachedData = file.subarray(HEADER)
      }
    } catch {
      // No cache (not built, not readable): compile without one.
    }
  }
  const script = new Script(wrap(source), {
    filename: bundlePath,
    cachedData
  })
  return { script, cached: cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted' }
}

/**
 * Runs the compiled bundle as the CommonJS module at `bundlePath`; its dynamic imports go to
 * `importer` (the caller's own import(), for package names and absolute URLs).
 */
export function runBundle (script: Script, bundlePath: string, importer: (specifier: string) => Promise<unknown>): void {
  const module = { exports: {} }
  const fn = script.runInThisContext() as (exports: object, require: NodeRequire, module: object, filename: string, dirname: string, importer: (specifier: string) => Promise<unknown>) => void
  fn.call(module.exports, module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath), importer)
}

/**
 * Writes the code cache of `script` (compiled from `bundlePath`) to `cachePath` with its header:
 * called by the build after a representative run, so that the cache holds the functions that run
 * used, not only the bundle's top level.
 */
export function writeCache (script: Script, bundlePath: string, cachePath: string): void {
  const text = readFileSync(bundlePath)
  const id = buildIdOf(text.toString('utf8'))
  if (id === undefined) throw new Error(`${bundlePath} has no build hash on its first line`)
  const header = Buffer.alloc(HEADER)
  header.writeUInt32LE(MAGIC, 0)
  header.writeUInt32LE(text.length, 4)
  header.write(id, 8, 'latin1')
  writeFileSync(cachePath, Buffer.concat([header, script.createCachedData()]))
}
