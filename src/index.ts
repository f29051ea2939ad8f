// sensorpipe: the library. Explicit named exports only.
export type { Stage, SensorRecord, Batch, Rejection, RejectionHandler, SourceOptions } from './types.js'
export { SensorpipeError, ExpressionError, SourceError, SinkError, ConfigError, RejectedInputError, BatchReleasedError } from './errors.js'
export { pipe } from './pipe.js'
export { LineBatch, asLineBatch } from './batch/line-batch.js'
export { RecordBatch, asRecordBatch, type ColumnData, type FieldReader } from './batch/record-batch.js'
export { StringInterner } from './batch/intern.js'
export { Owned, Pool } from './batch/owned.js'
export { each } from './util/each.js'

export { fromFile, type FromFileOptions } from './sources/file.js'
export { fromStdin, type FromStdinOptions } from './sources/stdin.js'
export {
  fromSerial, listSerialPorts, decodeEscapes, formatSerialStats, SerialError,
  type FromSerialOptions, type DataBits, type Parity, type StopBits, type SerialSource, type SerialStats, type SerialEvent, type SerialBinding,
  type SerialBindingPort, type SerialOpenOptions, type SerialPortInfo, type OverflowPolicy
} from './sources/serial.js'
export { fromReplay, type FromReplayOptions, type ReplaySource, type ReplayStats } from './sources/replay.js'
export { recordTo, RECORDING_VERSION, type Recorder, type RecordOptions, type RecordStats, type RecordingHeader, type RecordingEntry } from './sources/record.js'

export { lines, type LinesOptions, type LinesStats, type LinesStage } from './framing/lines.js'

export { parseCsv, type ParseCsvOptions, type ParseCsvStage, type MultilineStats } from './parse/csv.js'
export { parseJson, type ParseJsonOptions, type ParseJsonStage } from './parse/json.js'
export { parseKeyValue, type ParseKeyValueOptions, type ParseKeyValueStage } from './parse/key-value.js'
export { parseColumns, parseFloatStrict, parseIntStrict, parseIsoTime, type Column, type ColumnType } from './parse/columns.js'
export type { OnError, ParseStats } from './parse/reject.js'
export { frameAndParse, type ParseOptions, type ParserStage } from './parse/from-options.js'
export { parseInWorker, type ParseInWorkerOptions, type ParsedInWorker } from './worker/parallel.js'

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

export { toJsonLines, toCsv, type ToJsonLinesOptions, type ToCsvOptions, type FormatStage, type BytesFormatStage, type TextFormatStage, type FormatStats } from './sinks/format.js'
export { writeTo, type WriteResult } from './sinks/write.js'
export { deadLetter, deadLetterLine, type DeadLetter } from './sinks/dead-letter.js'
export { wholeLines, type WholeLinesSource } from './sources/whole-lines.js'

export {
  definePipeline, buildPipeline, runPipeline, summarize, formatSummary,
  type PipelineOptions, type PipelineDefinition, type BuiltPipeline, type RunSummary, type RunContext,
  type TruncateEvent, type FollowStats
} from './pipeline.js'

// Memory (docs/memory.md): heap checks between stages, heap snapshots, the weak store.
export type { PipelineScriptContext } from './pipeline.js'
export { WeakStore, collector, type WeakStoreStats } from './memory/weak-store.js'
export { heapInUse, liveHeap, formatMB, MB } from './memory/heap.js'
export {
  heapMonitor, HeapMonitor, HeapBudgetError, stageName, dropsOf,
  type HeapCheckOptions, type HeapReport, type StageReport, type ProbeOptions, type BatchUnit
} from './memory/heap-check.js'
export { formatHeapTable } from './memory/format.js'
export {
  countObjects, countLiveObjects, diffObjectCounts, formatSnapshotDiff, HeapSnapshots, SnapshotScanner,
  type ObjectCount, type ObjectGrowth, type CountObjectsOptions, type HeapSnapshotsOptions
} from './memory/snapshot.js'
export { renderProfile, type ProfileInfo } from './memory/profile.js'
export type { SeriesData, BoundarySeries } from './memory/series.js'
export { lastReadings, type LastReadingsOptions, type LastReadingsStage, type LastReading } from './memory/last-readings.js'
export type { MemoryReport } from './memory/run.js'
