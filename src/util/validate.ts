// Option checks shared by the stage factories: each throws a TypeError naming the option,
// before anything is pulled.

export function positiveInteger (name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`"${name}" must be a positive integer, got ${describe(value)}`)
  }
  return value
}

export function nonEmptyString (name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`"${name}" must be a non-empty string, got ${describe(value)}`)
  }
  return value
}

export function optionalFunction<T> (name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`"${name}" must be a function, got ${describe(value)}`)
  }
  return value
}

export function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}
