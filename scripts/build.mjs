// Build: tsc emits the library (ESM + .d.ts) into dist/; esbuild bundles the CLI into one file
// so `sensorpipe --help` does not pay for resolving and parsing hundreds of ESM modules.
import { execFileSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
rmSync('dist', { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' })
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // serialport loads a native binding and esbuild loads its own binary: both stay external.
  external: ['serialport', '@serialport/*', 'esbuild', 'ix', 'ix/*'],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __spCreateRequire } from 'node:module'; const require = __spCreateRequire(import.meta.url);" },
  // A light stand-in for string-width (help layout only); see src/cli/shims/string-width.ts.
  alias: { 'string-width': './src/cli/shims/string-width.ts' },
  define: { SENSORPIPE_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
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
