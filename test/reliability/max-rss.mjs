// Preloaded into a CLI run by the memory tests (`node --import ./max-rss.mjs dist/cli.js ...`):
// at exit, writes the process's peak resident set size, in bytes, to $SENSORPIPE_MAX_RSS_FILE.
import { writeFileSync } from 'node:fs'

const file = process.env.SENSORPIPE_MAX_RSS_FILE
if (file) process.on('exit', () => { writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)) })
