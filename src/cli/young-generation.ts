// Imported first by the CLI (before yargs and the stages load): keeps V8's young generation at
// its starting size for the whole run. See docs/memory.md, "The young generation".
//
// V8 doubles the young generation (1 MiB semispaces, up to 8 MiB) each time the bytes that
// survived scavenges since its last growth add up to its size. A stream survives a little of
// every scavenge (the batches in flight), so a long enough run always reaches the maximum:
// 6 MiB more committed heap, and the array buffers that young objects hold are freed later,
// so peak RSS grew with the input (20M lines: 72 MiB, 2M lines: 64 MiB). A streaming process
// gains nothing from a larger young generation: what it allocates dies within a batch, and
// scavenging 1 MiB costs no more per byte than scavenging 8 MiB (the reference job's run time
// does not change). A `--semi-space-...` or `--max-semi-space-size` flag given to node is left
// alone.
const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`
if (!/semi-space/.test(given)) process.getBuiltinModule('node:v8').setFlagsFromString('--semi-space-growth-factor=1')
