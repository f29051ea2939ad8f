// Hot readings from a stream of JSON lines on standard input, passed through unchanged.
//
//   tail -f readings.jsonl | sensorpipe run pipelines/jsonl-alerts.ts
//   sensorpipe run pipelines/jsonl-alerts.ts --where 'temp > 35' < readings.jsonl
import { definePipeline } from 'sensorpipe'

export default definePipeline({
  description: 'JSON lines from stdin with temp above 30',
  options: {
    format: 'json',
    where: 'temp > 30'
  }
})
