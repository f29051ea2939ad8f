// Bundled in place of `node:assert` (see scripts/build.mjs), which only yargs imports, for two
// internal invariant checks (its platform shim's `assert.notStrictEqual` and `strictEqual`).
// Loading node:assert brings its error formatting, colours and call tracker along: about 1.8 MiB
// of RSS and 1-2 ms at every start, for checks that never fail. These two throw as Node's do
// (an Error with code ERR_ASSERTION), without the diff in the message.
function failure (message: string | Error | undefined, text: string): Error {
  if (message instanceof Error) return message
  return Object.assign(new Error(message ?? text), { code: 'ERR_ASSERTION' })
}

export function strictEqual (actual: unknown, expected: unknown, message?: string | Error): void {
  if (!Object.is(actual, expected)) throw failure(message, 'Expected values to be strictly equal')
}

export function notStrictEqual (actual: unknown, expected: unknown, message?: string | Error): void {
  if (Object.is(actual, expected)) throw failure(message, 'Expected "actual" to be strictly unequal to "expected"')
}
