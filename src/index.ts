// sensorpipe: the library. Explicit named exports only.
export type { Stage, SensorRecord, Batch, Rejection, RejectionHandler, SourceOptions } from './types.js'
export { SensorpipeError, ExpressionError, SourceError, SinkError, ConfigError, RejectedInputError } from './errors.js'
export { pipe } from './pipe.js'
export { LineBatch, asLineBatch } from './batch/line-batch.js'
export { RecordBatch, asRecordBatch, type ColumnData, type FieldReader } from './batch/record-batch.js'
export { StringInterner } from './batch/intern.js'
export { each } from './util/each.js'

export { fromFile, type FromFileOptions } from './sources/file.js'
export { fromStdin, type FromStdinOptions } from './sources/stdin.js'
export {
  fromSerial, listSerialPorts, decodeEscapes, formatSerialStats, SerialError,
  type FromSerialOptions, type SerialSource, type SerialStats, type SerialEvent, type SerialBinding,
  type SerialBindingPort, type SerialOpenOptions, type SerialPortInfo, type OverflowPolicy
} from './sources/serial.js'
export { fromReplay, type FromReplayOptions, type ReplaySource, type ReplayStats } from './sources/replay.js'
export { recordTo, RECORDING_VERSION, type Recorder, type RecordOptions, type RecordStats, type RecordingHeader, type RecordingEntry } from './sources/record.js'

export { lines, type LinesOptions, type LinesStats, type LinesStage } from './framing/lines.js'

export { parseCsv, type ParseCsvOptions, type ParseCsvStage } from './parse/csv.js'
export { parseJson, type ParseJsonOptions, type ParseJsonStage } from './parse/json.js'
export { parseKeyValue, type ParseKeyValueOptions, type ParseKeyValueStage } from './parse/key-value.js'
export { parseColumns, parseFloatStrict, parseIntStrict, parseIsoTime, type Column, type ColumnType } from './parse/columns.js'
export type { OnError, ParseStats } from './parse/reject.js'

export { filter, where, type FilterStats, type FilterStage } from './filter/filter.js'
export { compileExpression, type CompiledExpression, type Evaluator } from './filter/expression.js'

export { tumbling, type TumblingOptions, type TumblingStage, type WindowStats } from './window/tumbling.js'
export { sliding, type SlidingOptions } from './window/sliding.js'
export { session, type SessionOptions } from './window/session.js'
export type { WindowStage, WindowOptions, EventTimeOptions, LatePolicy } from './window/common.js'
export { parseAggregates, type Aggregate, type AggregateName } from './window/aggregates.js'
export { QuantileSketch, type QuantileSketchOptions } from './window/sketch.js'
export { systemClock, ManualClock, type Clock } from './window/clock.js'
export { parseDuration } from './window/duration.js'

export { toJsonLines, toCsv, type ToCsvOptions, type FormatStage, type BytesFormatStage, type TextFormatStage, type FormatStats } from './sinks/format.js'
export { writeTo, type WriteResult } from './sinks/write.js'

export {
  definePipeline, buildPipeline, runPipeline, summarize, formatSummary,
  type PipelineOptions, type PipelineDefinition, type BuiltPipeline, type RunSummary, type RunContext
} from './pipeline.js'
