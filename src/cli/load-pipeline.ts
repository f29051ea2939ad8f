import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.js'
import type { PipelineDefinition, PipelineOptions } from '../pipeline.js'
import { importModule } from '../util/import-module.js'

// The library entry next to the CLI bundle (dist/cli.js -> dist/index.js).
function libraryUrl (): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const candidate of [join(here, 'index.js'), join(here, '..', 'index.js')]) {
    if (existsSync(candidate)) return pathToFileURL(candidate).href
  }
  throw new ConfigError('cannot find the sensorpipe library next to the CLI (is dist/ built?)')
}

/**
 * Loads `pipelines/NAME.ts` (or .js/.mjs): bundles it with esbuild (TypeScript stripped, its own
 * relative imports inlined, `sensorpipe` pointing at this installation's library) into a
 * temporary module, imports it, and returns its default export with relative paths in its
 * options resolved against the pipeline file's folder.
 */
export async function loadPipeline (path: string): Promise<PipelineDefinition> {
  const file = resolve(path)
  if (!existsSync(file)) throw new ConfigError(`no pipeline file ${path}`)
  const { build } = await importModule<typeof import('esbuild')>('esbuild')
  const lib = libraryUrl()
  let code: string
  try {
    const out = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      plugins: [{
        name: 'sensorpipe-self',
        setup (b) { b.onResolve({ filter: /^sensorpipe$/ }, () => ({ path: lib, external: true })) }
      }]
    })
    code = out.outputFiles[0]!.text
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string, location?: { file: string, line: number, column: number } }> }).errors?.[0]
    const where = first?.location === undefined ? '' : ` (${first.location.file}:${first.location.line}:${first.location.column + 1})`
    throw new ConfigError(`cannot load pipeline ${path}: ${first?.text ?? (err as Error).message}${where}`)
  }
  const dir = mkdtempSync(join(process.getBuiltinModule('node:os').tmpdir(), 'sensorpipe-pipeline-'))
  const tmp = join(dir, 'pipeline.mjs')
  let mod: { default?: unknown }
  try {
    writeFileSync(tmp, code)
    mod = await importModule<{ default?: unknown }>(pathToFileURL(tmp).href)
  } catch (err) {
    if (err instanceof TypeError) throw new ConfigError(`pipeline ${path}: ${err.message}`)
    throw err
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const def = mod.default as PipelineDefinition | undefined
  if (def === undefined || def === null || typeof def !== 'object' || typeof def.options !== 'object') {
    throw new ConfigError(`pipeline ${path} must \`export default definePipeline({ options: { ... } })\``)
  }
  const base = dirname(file)
  const options: PipelineOptions = { ...def.options }
  for (const key of ['file', 'errors', 'output'] as const) {
    const v = options[key]
    if (typeof v === 'string' && v !== '-' && !isAbsolute(v)) options[key] = resolve(base, v)
  }
  return { ...def, options }
}
