// `sensorpipe list` end to end. On Linux, node-serialport enumerates ports with `udevadm info -e`;
// these tests put a stand-in `udevadm` (or none) first on PATH, so what the system has does not
// matter.
import { spawn } from 'node:child_process'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, CLI, type CliResult, finished, ROOT, STACK_FRAME, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  assertBuilt()
  tmp = await tempDir()
})
afterAll(async () => { await tmp.remove() })

// Two USB adapters and a built-in UART, as `udevadm info -e` prints them (other devices between).
const UDEV_TWO_ADAPTERS = `P: /devices/virtual/mem/null
N: null
E: DEVNAME=/dev/null

P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0
N: ttyUSB0
E: DEVNAME=/dev/ttyUSB0
E: ID_VENDOR_ENC=FTDI
E: ID_VENDOR_ID=0403
E: ID_MODEL_ID=6001
E: ID_SERIAL_SHORT=A50285BI
E: DEVLINKS=/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0 /dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0

P: /devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/tty/ttyACM0
N: ttyACM0
E: DEVNAME=/dev/ttyACM0
E: ID_VENDOR_ENC=Arduino\\x20\\x28www.arduino.cc\\x29
E: ID_VENDOR_ID=2341
E: ID_MODEL_ID=0043
E: ID_SERIAL_SHORT=75833353035351A0E1F1
`

/**
 * Runs `sensorpipe list ...args` with PATH holding only a folder with, when given, a fake udevadm
 * printing `udev` (node is spawned by its absolute path; /usr/bin, where a real udevadm may be,
 * is left out).
 */
async function list (args: string[], udev: string | undefined): Promise<CliResult> {
  const bin = tmp.file(`bin-${Math.random().toString(36).slice(2)}`)
  await mkdir(bin)
  if (udev !== undefined) {
    await writeFile(`${bin}/udev.txt`, udev)
    await writeFile(`${bin}/udevadm`, `#!/bin/sh\nexec /bin/cat '${bin}/udev.txt'\n`)
    await chmod(`${bin}/udevadm`, 0o755)
  }
  const child = spawn(process.execPath, [CLI, 'list', ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: bin, SENSORPIPE_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  return await finished(child)
}

describe.skipIf(process.platform !== 'linux')('sensorpipe list (Linux, with a stand-in udevadm)', () => {
  it('prints the serial ports as a table', async () => {
    const r = await list([], UDEV_TWO_ADAPTERS)
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe([
      'PATH          MANUFACTURER              SERIAL                VENDOR  PRODUCT',
      '/dev/ttyUSB0  FTDI                      A50285BI              0403    6001',
      '/dev/ttyACM0  Arduino (www.arduino.cc)  75833353035351A0E1F1  2341    0043'
    ].join('\n') + '\n')
  })

  it('prints them as JSON with --json', async () => {
    const r = await list(['--json'], UDEV_TWO_ADAPTERS)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([
      { path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A50285BI', vendorId: '0403', productId: '6001', pnpId: 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0', locationId: null },
      { path: '/dev/ttyACM0', manufacturer: 'Arduino (www.arduino.cc)', serialNumber: '75833353035351A0E1F1', vendorId: '2341', productId: '0043', pnpId: null, locationId: null }
    ])
  })

  it('says how to find a device when there are none', async () => {
    const r = await list([], '')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('No serial ports found.')
    expect(r.stderr).toContain('/dev/serial/by-id/')
    expect(r.stderr).toContain('Virtual ports (socat, ptys) are not listed')
    const json = await list(['--json'], '')
    expect(json.stdout).toBe('[]\n')
  })

  it('explains in a line, without a stack, when the system cannot enumerate ports', async () => {
    const r = await list([], undefined)
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).not.toContain(STACK_FRAME)
    expect(r.stderr.split('\n')[0]).toBe('sensorpipe: cannot list serial ports: udevadm was not found (Linux lists serial ports through udev)')
    expect(r.stderr).toMatch(/\/dev\/serial\/by-id|Serial-looking devices in \/dev/)
  })
})
