// What the bench scripts share: the reference job's command line (../shared/bench/REFERENCE.md)
// and the median of a list of timings.

/**
 * The reference job's arguments after `sensorpipe`, reading `file` (run-one.sh's `{}` placeholder
 * by default), with windows of `window` (REFERENCE.md: 1s).
 */
export function referenceJob (file = '{}', window = '1s') {
  return ['run', '--file', file, '--format', 'csv', '--columns', 'ts:time,sensor:string,value:float',
    '--where', 'value >= -40 && value <= 125', '--key', 'sensor', '--time', 'ts', '--window', window,
    '--agg', 'count,mean,min,max', '--summary']
}

/** The median of a non-empty list of numbers (the mean of the middle two for an even count). */
export function median (values) {
  const s = [...values].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
