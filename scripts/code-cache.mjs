// Build step (scripts/build.mjs): makes dist/cli-bundle.cache, the V8 code cache of the CLI bundle.
// Compiles dist/cli-bundle.cjs as dist/cli.js does, runs it once on the bundled fixture with the
// flags of a typical job (CSV, filter, keyed time windows, JSON lines out), and at exit writes the
// cache, which then holds every function that run compiled, not only the bundle's top level.
import '../dist/cli/young-generation.js' // the V8 flags the command runs with (the cache records them)
import { fileURLToPath } from 'node:url'
import { compileBundle, runBundle, writeCache } from '../dist/cli/code-cache.js'

const bundle = fileURLToPath(new URL('../dist/cli-bundle.cjs', import.meta.url))
const cache = fileURLToPath(new URL('../dist/cli-bundle.cache', import.meta.url))
const fixture = fileURLToPath(new URL('../fixtures/greenhouse.csv', import.meta.url))
process.argv = [process.argv[0], bundle, 'run', '--file', fixture, '--format', 'csv',
  '--columns', 'ts:time,sensor:string,temp:float,hum:float', '--where', 'temp >= -40 && temp <= 85',
  '--key', 'sensor', '--time', 'ts', '--window', '1s', '--agg', 'count,mean:temp,min:temp,max:temp', '--summary']
const { script } = compileBundle(bundle, undefined)
process.on('exit', code => {
  // A failed run (its message is on stderr) makes no cache, and exits with its own status.
  if (code === 0) writeCache(script, bundle, cache)
})
runBundle(script, bundle, async specifier => await import(specifier))
