// The framer and the parser a run's options ask for. Shared by buildPipeline (one thread) and the
// parse worker (src/worker/parse-worker.ts), so both read a file the same way.
import { ConfigError, RejectedInputError } from '../errors.js'
import { lines, type LinesStage } from '../framing/lines.js'
import type { LineBatch } from '../batch/line-batch.js'
import type { RecordBatch } from '../batch/record-batch.js'
import type { PipelineOptions } from '../pipeline.js'
import type { Rejection, RejectionHandler, Stage } from '../types.js'
import { parseCsv } from './csv.js'
import { parseJson } from './json.js'
import { parseKeyValue } from './key-value.js'
import type { ParseStats } from './reject.js'

/** The options that decide how lines are framed and parsed (they travel to a parse worker). */
export type ParseOptions = Pick<PipelineOptions, 'maxLineBytes' | 'format' | 'columns' | 'header' | 'delimiter' | 'quotedNewlines' | 'onError' | 'errors'>

export type ParserStage = Stage<LineBatch | string[], RecordBatch> & { readonly stats: ParseStats }

/** The input format the options name: `format`, or csv when `columns` or `header` is given, else json. */
export function formatOf (o: ParseOptions): 'csv' | 'json' | 'kv' {
  const format = o.format ?? (o.columns !== undefined || o.header === true ? 'csv' : 'json')
  if (!['csv', 'json', 'kv'].includes(format)) throw new ConfigError(`unknown format "${format}" (use csv, json or kv)`)
  return format
}

/**
 * The framer and parser of the options. `onRejected` receives every rejected line (the CLI's
 * dead-letter file); with `onError: 'fail'` the first one stops the run, after `onRejected` saw it.
 * With `reuse`, both fill the storage of released batches again (`reuse` of `lines`, `parseCsv`).
 */
export function frameAndParse (o: ParseOptions, onRejected?: RejectionHandler, reuse = false): { framer: LinesStage, parser: ParserStage } {
  const format = formatOf(o)
  if (o.quotedNewlines === true && format !== 'csv') throw new ConfigError('--quoted-newlines applies to csv input')
  const policy = errorPolicy(o)
  const handler: RejectionHandler | undefined = onRejected !== undefined && policy.fail
    ? (r, bytes) => { onRejected(r, bytes); failOn(r) }
    : onRejected
  const onError = handler ?? (policy.fail ? 'fail' : 'skip')
  const framer = lines({ maxLineBytes: o.maxLineBytes, onError: handler ?? (policy.fail ? failOn : undefined), reuse })
  let parser: ParserStage
  if (format === 'csv') {
    if (o.columns === undefined && o.header !== true) throw new ConfigError('csv input needs --columns (name:type,...) or --header')
    parser = parseCsv({ columns: o.columns, header: o.header === true, delimiter: o.delimiter, onError, quotedNewlines: o.quotedNewlines === true, maxRecordBytes: o.maxLineBytes, reuse })
  } else if (format === 'kv') {
    parser = parseKeyValue({ columns: o.columns, onError })
  } else {
    if (o.columns !== undefined) throw new ConfigError('--columns applies to csv and kv input, not json')
    parser = parseJson({ onError })
  }
  return { framer, parser }
}

function failOn (r: Rejection): void {
  throw new RejectedInputError(`line ${r.line}: ${r.detail}`, r.line, r.reason)
}

/**
 * `onError` and `errors` read together: stop at the first rejection or not, and the dead-letter
 * file, if any (`errors` is another way to name it).
 */
export function errorPolicy (o: ParseOptions): { fail: boolean, deadLetter: string | undefined } {
  const v: unknown = o.onError
  let file: string | undefined
  if (typeof v === 'string' && v.startsWith('dead-letter:') && v.length > 12) file = v.slice(12)
  else if (v !== undefined && v !== 'skip' && v !== 'fail') throw new ConfigError(`--on-error must be skip, fail or dead-letter:FILE, got ${JSON.stringify(v)}`)
  if (o.errors !== undefined) {
    if (typeof o.errors !== 'string' || o.errors === '') throw new ConfigError('--errors needs a file name')
    if (file !== undefined && file !== o.errors) throw new ConfigError(`--errors ${o.errors} and --on-error dead-letter:${file} name two dead-letter files: give one`)
    file = o.errors
  }
  return { fail: v === 'fail', deadLetter: file }
}
