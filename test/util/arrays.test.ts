import { setFlagsFromString } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { mapArray } from '../../src/util/arrays.js'

// V8's intrinsics, to optimize a function now and compare hidden classes. The flag only lets
// code parsed after it use the % syntax; it changes nothing else.
setFlagsFromString('--allow-natives-syntax')
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean
const prepare = new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void
const optimizeNext = new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: unknown) => void

describe('mapArray', () => {
  it('gives what map() gives, index included', () => {
    expect(mapArray([3, 1, 2], (v, i) => v * 10 + i)).toEqual([30, 11, 22])
    expect(mapArray(['a'], v => v + '!')).toEqual(['a!'])
    expect(mapArray([], () => 1)).toEqual([])
  })

  it('makes arrays of the same hidden class before and after it and its caller are optimized', () => {
    // The parser's per-batch column lists: a hot loop elsewhere deoptimized when they changed maps.
    const columns = (kinds: number[]): Array<Float64Array | Int32Array> =>
      mapArray(kinds, k => k === 0 ? new Float64Array(4) : new Int32Array(4))
    prepare(columns)
    prepare(mapArray)
    const before = columns([0, 1, 0])
    columns([1, 0])
    optimizeNext(mapArray)
    optimizeNext(columns)
    const after = columns([0, 1, 0])
    expect(after).toEqual(before)
    expect(sameMap(before, after)).toBe(true)
  })
})
