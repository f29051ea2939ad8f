import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Child processes rather than worker threads: tests that need `global.gc` (memory bounds)
    // get it from --expose-gc, and tests that signal or spawn processes stay apart.
    pool: 'forks',
    // Vitest 4 flattened poolOptions: execArgv is a test-level option, passed to every fork.
    execArgv: ['--expose-gc'],
    // Generous for a loaded 2-core CI machine; tests assert behaviour, never timing.
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
