/** The InfluxDB 1.x peer lives with the benchmarks, which start it too. */
export * from '../../bench/lib/influxd.js';
