/** A function returning the next number in [0, 1) of the mulberry32 sequence for `seed`. */
export function prng (seed: number): () => number
