// The CLI's entry (dist/cli.js: what bin/sensorpipe, the `sensorpipe` command, runs, and npm's
// `sensorpipe-node`): compiles the CLI bundle with its code cache and runs it (see
// code-cache.ts). The young generation's flag is set first: V8 accepts a code cache only under
// the flags it was made with, and the build makes it with this one set.
import './young-generation.js'
import { fileURLToPath } from 'node:url'
import { compileBundle, runBundle } from './code-cache.js'

const bundle = fileURLToPath(new URL('./cli-bundle.cjs', import.meta.url))
const { script, cached } = compileBundle(bundle, fileURLToPath(new URL('./cli-bundle.cache', import.meta.url)))
if (process.env.SENSORPIPE_DEBUG === '1') process.stderr.write(`sensorpipe: code cache ${cached}\n`)
runBundle(script, bundle, async specifier => await import(specifier))
