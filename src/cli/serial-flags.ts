// The serial-port and replay flags, shared by `run`, `record` and `replay`. Each maps one to one
// onto a PipelineOptions field (`--reconnect-min` is `reconnectMin`); docs/serial.md explains them.
import type { Argv } from 'yargs'
import type { PipelineOptions } from '../pipeline.js'

/** The serial flags' PipelineOptions names. */
export const SERIAL_FLAGS = ['port', 'baud', 'dataBits', 'parity', 'stopBits', 'rtscts', 'xonxoff', 'init', 'poll', 'every',
  'keepFirstLine', 'reconnectMin', 'reconnectMax', 'reconnectJitter', 'reconnectAttempts', 'bufferBytes', 'overflow'] as const

/** The replay flags' PipelineOptions names. */
export const REPLAY_FLAGS = ['speed', 'maxSpeed', 'maxGap', 'loop'] as const

/** The parsed serial and replay flags: the PipelineOptions fields of the same names. */
export type SerialArgs = Pick<PipelineOptions, typeof SERIAL_FLAGS[number]>
export type ReplayArgs = Pick<PipelineOptions, typeof REPLAY_FLAGS[number]>

/** Adds the serial source's flags (`--port` and what goes with it). */
export function serialFlags (y: Argv, group = 'Serial port:'): Argv {
  return y
    .option('port', { type: 'string', describe: 'Read this serial port, e.g. /dev/ttyUSB0 (see: sensorpipe list)', group })
    .option('baud', { type: 'number', describe: 'Line speed [default: 9600]', group })
    .option('data-bits', { choices: [5, 6, 7, 8] as const, type: 'number', describe: 'Data bits [default: 8]', group })
    .option('parity', { choices: ['none', 'even', 'odd', 'mark', 'space'] as const, describe: 'Parity [default: none]', group })
    .option('stop-bits', { choices: [1, 1.5, 2] as const, type: 'number', describe: 'Stop bits [default: 1]', group })
    .option('rtscts', { type: 'boolean', describe: 'Hardware flow control (RTS/CTS)', group })
    .option('xonxoff', { type: 'boolean', describe: 'Software flow control (XON/XOFF)', group })
    .option('init', { type: 'string', describe: 'Send this after every open, e.g. "START\\r\\n" (escapes: \\r \\n \\t \\0 \\\\ \\xHH)', group })
    .option('poll', { type: 'string', describe: 'Send this after every open and then every --every, for request/response sensors', group })
    .option('every', { type: 'string', describe: 'Poll interval, e.g. 500ms, 1s [default: 1s]', group })
    .option('keep-first-line', { type: 'boolean', describe: 'Keep the first line after each open (default: dropped as partial, unless --poll)', group })
    .option('reconnect-min', { type: 'string', describe: 'First wait before reopening a port that went away; doubles each try [default: 100ms]', group })
    .option('reconnect-max', { type: 'string', describe: 'Longest wait between reopen tries [default: 5s]', group })
    .option('reconnect-jitter', { type: 'number', describe: 'Vary each wait at random by up to this fraction, 0 to 1 [default: 0.2]', group })
    .option('reconnect-attempts', { type: 'number', describe: 'Give up after this many failed reopens (0: never reopen) [default: unlimited]', group })
    .option('buffer-bytes', { type: 'number', describe: 'Most bytes held between the port and a slow pipeline [default: 1048576]', group })
    .option('overflow', { choices: ['block', 'drop-oldest', 'drop-newest'] as const, describe: 'At that bound: stop reading, or drop (and count) lines [default: block]', group })
}

/** Adds the replay pacing flags. */
export function replayFlags (y: Argv, group = 'Replay:'): Argv {
  return y
    .option('speed', { type: 'number', describe: 'Play this many times faster than recorded [default: 1]', group })
    .option('max-speed', { type: 'boolean', describe: 'Play without waiting', group })
    .option('max-gap', { type: 'string', describe: 'Shorten recorded silences longer than this, e.g. 2s', group })
    .option('loop', { type: 'boolean', describe: 'Play again from the top after the end, until Ctrl-C', group })
}
