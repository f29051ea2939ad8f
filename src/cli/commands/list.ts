import { readdirSync } from 'node:fs'
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs'
import { listSerialPorts, type SerialPortInfo } from '../../sources/serial.js'
import { EXIT, reportError } from '../errors.js'

interface ListArgs {
  json?: boolean
}

/** `sensorpipe list`: the serial ports, as a table or (`--json`) JSON; a hint when there are none. */
export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'List serial ports: path, manufacturer, serial number, vendor and product id',
  builder: (y: Argv) => y
    .option('json', { type: 'boolean', describe: 'Print a JSON array instead of a table' })
    .example('$0 list', 'Show the serial ports as a table')
    .example('$0 list --json', 'The same as JSON, for scripts'),
  handler: async (argv: ArgumentsCamelCase<ListArgs>) => {
    process.exitCode = await list(argv)
  }
}

async function list (argv: ArgumentsCamelCase<ListArgs>): Promise<number> {
  let ports: SerialPortInfo[]
  try {
    ports = await listSerialPorts()
  } catch (err) {
    const status = reportError(err)
    const found = candidateDevices()
    process.stderr.write(found.length > 0
      ? `Serial-looking devices in /dev (pass one to --port):\n${found.map(p => `  ${p}\n`).join('')}`
      : 'Look for the device in /dev/serial/by-id/, /dev/ttyUSB* or /dev/ttyACM* and pass it to --port.\n')
    return status
  }
  if (argv.json === true) process.stdout.write(JSON.stringify(ports.map(portRecord), null, 2) + '\n')
  else if (ports.length > 0) process.stdout.write(formatPortTable(ports))
  if (ports.length === 0) process.stderr.write(NONE_FOUND)
  return EXIT.ok
}

const NONE_FOUND = `No serial ports found.
  - Is the device plugged in? \`dmesg | tail\` shows what the kernel saw when it was attached.
  - USB adapters appear as /dev/ttyUSB* or /dev/ttyACM*; stable names are in /dev/serial/by-id/.
  - Virtual ports (socat, ptys) are not listed: pass their path to --port directly.
`

/** One port as `sensorpipe list --json` prints it: every field present, null when unknown. */
export function portRecord (p: SerialPortInfo): Record<string, string | null> {
  return {
    path: p.path,
    manufacturer: p.manufacturer ?? null,
    serialNumber: p.serialNumber ?? null,
    vendorId: p.vendorId ?? null,
    productId: p.productId ?? null,
    pnpId: p.pnpId ?? null,
    locationId: p.locationId ?? null
  }
}

/** The ports as an aligned text table with a header; `-` marks an unknown field. */
export function formatPortTable (ports: readonly SerialPortInfo[]): string {
  const head = ['PATH', 'MANUFACTURER', 'SERIAL', 'VENDOR', 'PRODUCT']
  const rows = ports.map(p => [p.path, p.manufacturer, p.serialNumber, p.vendorId, p.productId].map(v => v === undefined || v === '' ? '-' : v))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i]!)).join('  ') + '\n'
  return line(head) + rows.map(line).join('')
}

// When enumeration fails, the device files that look like serial adapters are still a hint.
function candidateDevices (): string[] {
  const out: string[] = []
  try { for (const name of readdirSync('/dev/serial/by-id')) out.push(`/dev/serial/by-id/${name}`) } catch { /* none */ }
  try { for (const name of readdirSync('/dev')) if (/^tty(USB|ACM|AMA)[0-9]+$/.test(name)) out.push(`/dev/${name}`) } catch { /* none */ }
  return out
}
