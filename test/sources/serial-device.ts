// A pretend serial device for the fromSerial tests: serialport's own mock binding
// (`SerialPortMock.binding`, the copy serialport itself uses: importing @serialport/binding-mock
// from ESM would give a second, separate registry), plus unplugging and plugging back in, which
// the mock does not model.
import { SerialPortMock } from 'serialport'
import type { SerialBinding, SerialBindingPort, SerialOpenOptions } from '../../src/index.js'

const mock = SerialPortMock.binding
type MockPort = Awaited<ReturnType<typeof mock.open>>

export interface FakeDeviceOptions {
  /** Largest chunk one read returns (the mock's `maxReadSize`). Default 1024. */
  maxReadSize?: number
  manufacturer?: string
  vendorId?: string
  productId?: string
}

/** One device at `path`. `binding` is what fromSerial gets; the rest drives the device. */
export class FakeDevice {
  /** Every open attempt, successful or not, in order. */
  readonly opens: Array<{ at: number, ok: boolean, options: SerialOpenOptions }> = []
  /** Every write the host made, across connections, as text. */
  readonly writes: string[] = []
  #present = true
  #port: MockPort | undefined
  #unplug: ((err: Error) => void) | undefined
  readonly binding: SerialBinding

  constructor (readonly path: string, options: FakeDeviceOptions = {}) {
    mock.createPort(path, { maxReadSize: options.maxReadSize ?? 1024, manufacturer: options.manufacturer, vendorId: options.vendorId, productId: options.productId })
    this.binding = {
      open: async (o) => await this.#open(o),
      list: async () => await mock.list()
    }
  }

  /** True while a connection is open. */
  get isOpen (): boolean { return this.#port?.isOpen === true }

  /** Successful opens so far. */
  get connections (): number { return this.opens.filter(o => o.ok).length }

  /** The device sends these bytes (the port must be open). */
  send (data: string | Buffer): void {
    if (this.#port === undefined || !this.#port.isOpen) throw new Error('FakeDevice.send: the port is not open')
    this.#port.emitData(data)
  }

  /** The device goes away: the pending read fails, and opens fail until plug(). */
  unplug (): void {
    this.#present = false
    this.#unplug?.(new Error('bad file descriptor'))
    this.#unplug = undefined
  }

  /** The device is back: the next open succeeds. */
  plug (): void { this.#present = true }

  async #open (o: SerialOpenOptions & Record<string, unknown>): Promise<SerialBindingPort> {
    if (!this.#present) {
      this.opens.push({ at: Date.now(), ok: false, options: o })
      throw new Error(`Error: No such file or directory, cannot open ${o.path}`)
    }
    // The mock keeps a port locked until it is closed; a port that went away is closed here.
    if (this.#port?.isOpen === true) await this.#port.close()
    const port = await mock.open(o)
    this.opens.push({ at: Date.now(), ok: true, options: o })
    this.#port = port
    let fail!: (err: Error) => void
    const gone = new Promise<never>((_resolve, reject) => { fail = reject })
    gone.catch(() => {})
    this.#unplug = fail
    return {
      read: async (buffer, offset, length) => await Promise.race([port.read(buffer, offset, length), gone]),
      write: async (buffer) => {
        this.writes.push(buffer.toString())
        await Promise.race([port.write(buffer), gone])
      },
      flush: async () => { await port.flush() },
      close: async () => { await port.close() }
    }
  }
}

/** Forgets every mock port (call in afterEach). */
export function resetDevices (): void {
  mock.reset()
}
