// Build: tsc emits the library (ESM + .d.ts) into dist/; esbuild bundles the CLI into one file
// so `sensorpipe --help` does not pay for resolving and parsing hundreds of ESM modules, and a
// V8 code cache of that bundle is made so that it is not compiled on every start either.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve as resolvePath } from 'node:path'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
rmSync('dist', { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' })
const version = JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version)
// The CLI: one CommonJS bundle, run by a small ES module entry (dist/cli.js) that compiles it
// with a V8 code cache (src/cli/code-cache.ts; made at the end of this script).
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli-bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // serialport loads a native binding and esbuild loads its own binary: both stay external.
  external: ['serialport', '@serialport/*', 'esbuild', 'ix', 'ix/*'],
  // import.meta.url (the worker's and the library's paths are found from it) as in the ESM build.
  // ("use strict" first: the bundle's own comes after the banner, where it is no longer a directive.)
  banner: { js: "'use strict'; const __spUrl = require('node:url').pathToFileURL(__filename).href;" },
  // A light stand-in for string-width (help layout only), and for node:assert (yargs' two
  // invariant checks); see src/cli/shims/.
  alias: { 'string-width': './src/cli/shims/string-width.ts', assert: './src/cli/shims/assert.ts' },
  // import() through the entry module's (src/cli/shims/import-module.ts, see src/cli/code-cache.ts).
  plugins: [{
    name: 'cli-import-module',
    setup (b) { b.onResolve({ filter: /\/util\/import-module\.js$/ }, () => ({ path: resolvePath('src/cli/shims/import-module.ts') })) }
  }],
  define: { SENSORPIPE_VERSION: version, 'import.meta.url': '__spUrl' },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning'
})
await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning'
})
// The parse worker (src/worker/parse-worker.ts), loaded by the CLI from beside dist/cli.js.
await build({
  entryPoints: ['src/worker/parse-worker.ts'],
  outfile: 'dist/parse-worker.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning'
})
chmodSync('dist/cli.js', 0o755)
// The bundle's build hash on its first line, which its code cache's header repeats (src/cli/code-cache.ts).
const { buildIdLine } = await import('../dist/cli/code-cache.js') // (made by tsc above)
const bundleText = readFileSync('dist/cli-bundle.cjs', 'utf8')
writeFileSync('dist/cli-bundle.cjs', buildIdLine(createHash('sha256').update(bundleText).digest('hex').slice(0, 16)) + bundleText)
// The code cache: one run of the CLI on the bundled fixture (scripts/code-cache.mjs). Only a
// speed-up: if that run fails here, the build goes on without it (the CLI compiles its bundle
// from the text), and says why; the tests fail on a missing cache (test/cli/code-cache.test.ts).
try {
  execFileSync(process.execPath, ['scripts/code-cache.mjs'], { stdio: ['ignore', 'ignore', 'pipe'] })
} catch (err) {
  rmSync('dist/cli-bundle.cache', { force: true })
  process.stderr.write(`build: no code cache for the CLI (it starts a little slower): ${String(err.stderr ?? err.message).trim()}\n`)
}
