// The demo that `npm start` runs: half an hour of six greenhouse sensors, recorded from their
// serial loggers (fixtures/greenhouse.csv, made by scripts/make-greenhouse-fixture.mjs).
// Out-of-range readings (a fault reports 850, an unplugged DS18B20 -127, a just-powered one 85)
// are dropped by `where`; malformed lines are counted. One JSON line per sensor per minute.
//
//   sensorpipe run pipelines/greenhouse.ts --summary
//   sensorpipe run pipelines/greenhouse.ts --window 5m --output-format csv   (flags override options)
import { definePipeline } from 'sensorpipe'

export default definePipeline({
  description: 'per-sensor minute temperature and humidity of the greenhouse recording',
  options: {
    file: '../fixtures/greenhouse.csv', // relative paths resolve against this file's folder
    columns: 'ts:time,sensor:string,temp:float,hum:float',
    where: 'temp > -40 && temp < 85',
    key: 'sensor',
    time: 'ts',
    window: '1m',
    agg: 'count,mean:temp,min:temp,max:temp,mean:hum'
  }
})
