const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Reads a duration: `250ms`, `1s`, `1.5s`, `5m`, `2h`, `1d` (or a number of milliseconds).
 * Returns whole milliseconds; throws a TypeError naming `option` for anything else. Zero is
 * accepted only with `allowZero` (an allowed lateness of `0`, say).
 */
export function parseDuration (text: string | number, option = 'duration', allowZero = false): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && (text > 0 || (allowZero && text === 0))) return Math.round(text)
    throw new TypeError(`"${option}" must be a ${allowZero ? 'non-negative' : 'positive'} duration, got ${text}`)
  }
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|min|h|d)?\s*$/.exec(String(text))
  if (m === null || (m[2] === undefined && Number(m[1]) !== 0)) throw new TypeError(`"${option}" must be a duration such as 500ms, 1s, 5m, 1h or 1d, got ${JSON.stringify(text)}`)
  const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!)
  if (ms < 1 && !(allowZero && Number(m[1]) === 0)) throw new TypeError(`"${option}" must be at least 1ms, got ${JSON.stringify(text)}`)
  return ms
}
