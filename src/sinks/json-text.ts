const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000]

/**
 * A number as `JSON.stringify` writes it (shortest round-trip digits; NaN and ±Infinity as
 * null; -0 as 0), faster for the common case of a value with at most six decimals: when
 * v * 10^k is an integer m below 10^15 and m / 10^k === v, the decimal m·10^-k is the shortest
 * string that reads back as v (two decimals of at most 15 significant digits never share a
 * double), so it is printed from integers. Anything else goes to `String(v)`.
 */
export function jsonNumber (v: number): string {
  if (v === 0) return '0'
  if (v !== v || v === Infinity || v === -Infinity) return 'null'
  if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? intText(v) : String(v)
  const a = v < 0 ? -v : v
  if (a >= 1e-6 && a < 1e9) {
    for (let k = 1; k <= 6; k++) {
      const m = a * POW10[k]!
      if (m >= 1e15) break
      const r = Math.round(m)
      if (r === m && r / POW10[k]! === a) {
        const ip = Math.floor(r / POW10[k]!)
        let frac = String(r - ip * POW10[k]!)
        if (frac.length < k) frac = '000000'.slice(0, k - frac.length) + frac
        // a*10^k can miss an integer by an ulp at a smaller k, so strip the zeros that leaves.
        let z = frac.length
        while (z > 0 && frac.charCodeAt(z - 1) === 48) z--
        if (z === 0) break
        if (z < frac.length) frac = frac.slice(0, z)
        return (v < 0 ? '-' : '') + String(ip) + '.' + frac
      }
    }
  }
  return String(v)
}

// An integer below 1e21, without going through the double-to-string algorithm.
function intText (v: number): string {
  if (v >= -2147483648 && v <= 2147483647) return String(v | 0)
  const neg = v < 0
  let a = neg ? -v : v
  if (a < 9007199254740992) {
    const hi = Math.floor(a / 1e9)
    const lo = a - hi * 1e9
    const los = String(lo)
    return (neg ? '-' : '') + String(hi) + '000000000'.slice(los.length) + los
  }
  a = v
  return String(a)
}

/** A value as `JSON.stringify` writes it (undefined as null, since a column has no holes to skip). */
export function jsonValue (v: unknown): string {
  if (typeof v === 'number') return jsonNumber(v)
  if (typeof v === 'string') return JSON.stringify(v)
  if (v === undefined) return 'null'
  return JSON.stringify(v) ?? 'null'
}
