/**
 * `array.map(fn)` with a loop: the result always starts as `[]` and grows by `push`, so it has
 * the same hidden class whichever tier of V8 runs the call. `Array.prototype.map` does not
 * promise that: TurboFan, inlining it into an optimized caller, makes its result with another
 * map than the builtin does. An array made per batch and read in a hot loop elsewhere then
 * changed maps the moment its maker was optimized, and the hot loop deoptimized ("wrong map")
 * and was compiled again, late in the run, which costs time and the compiler's memory
 * (docs/performance.md, "The ninth session").
 */
export function mapArray<T, U> (array: readonly T[], fn: (value: T, index: number) => U): U[] {
  const out: U[] = []
  for (let i = 0; i < array.length; i++) out.push(fn(array[i]!, i))
  return out
}
