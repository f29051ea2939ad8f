/**
 * `import(specifier)` for the modules loaded only when needed (serialport, esbuild, the memory
 * tools, a pipeline file). `specifier` is a package name or an absolute URL, never a relative
 * path (it would resolve against this file).
 *
 * One function, because the CLI bundle is CommonJS compiled with vm.Script (src/cli/code-cache.ts),
 * where Node 20 offers no import() that works with a code cache: the bundle gets
 * src/cli/shims/import-module.ts instead, which calls the import() of the CLI's entry module.
 */
export async function importModule<T> (specifier: string): Promise<T> {
  return await (import(specifier) as Promise<T>)
}
