// Bundled in place of src/util/import-module.ts in the CLI bundle (see scripts/build.mjs):
// `__spImport` is the import() of the CLI's entry module (dist/cli.js), passed in by
// runBundle() (src/cli/code-cache.ts). Package names resolve from dist/ as they would from the
// bundle itself.
declare const __spImport: (specifier: string) => Promise<unknown>

export async function importModule<T> (specifier: string): Promise<T> {
  return await (__spImport(specifier) as Promise<T>)
}
