/**
 * Realistic InfluxQL queries for round-trip tests and for differential tests against InfluxDB. They are
 * written against one data set so they can be run for real:
 *
 * - `cpu`: tags `host` (`a`, `b`, `c`) and `region` (`eu`, `us`); fields `usage_idle` (float),
 *   `usage_user` (float), `count` (integer-valued);
 * - `pot`: tags `topic` (`/pot`, `/pot2`) and `device` (`esp32-1`, `esp32-2`); field `value` (float),
 *
 * with points between 2024-01-01T00:00:00Z and 2024-01-01T01:00:00Z (epoch 1704067200 s). Every query with
 * `GROUP BY time(…)` bounds time from below, so InfluxDB never has to fill buckets from 1970. None changes
 * anything (no CREATE, DROP, DELETE or INTO).
 */

const FROM = "'2024-01-01T00:00:00Z'";
const TO = "'2024-01-01T01:00:00Z'";
/** The hour of data, as Grafana writes it (epoch milliseconds). */
const HOUR_MS = 'time >= 1704067200000ms and time <= 1704070800000ms';
const HOUR = `time >= ${FROM} AND time < ${TO}`;

const AGGREGATES = [
  'mean',
  'median',
  'mode',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'spread',
  'stddev',
];

export const INFLUXQL_CORPUS: readonly string[] = [
  // Grafana's query builder and seed 001's panel.
  'SELECT mean("value") FROM "pot" WHERE ("topic" = \'/pot\') AND time >= now() - 5m and time <= now() GROUP BY time(1s) fill(previous)',
  `SELECT last("value") FROM "autogen"."pot" WHERE ${HOUR_MS} GROUP BY time(10s), "device" fill(null)`,
  `SELECT mean("value") FROM "pot" WHERE ("device" =~ /^(esp32-1|esp32-2)$/) AND ${HOUR_MS} GROUP BY time(1m), "device" fill(none)`,
  `SELECT mean("usage_idle") FROM "cpu" WHERE ("host" = 'a') AND ${HOUR_MS} GROUP BY time(30s) fill(null)`,
  `SELECT derivative(mean("value"), 1s) FROM "pot" WHERE ${HOUR_MS} GROUP BY time(1m) fill(null)`,
  `SELECT non_negative_derivative(mean("count"), 1m) FROM "cpu" WHERE ${HOUR_MS} GROUP BY time(5m), "host" fill(null)`,
  `SELECT percentile("value", 95) FROM "pot" WHERE ${HOUR_MS} GROUP BY time(5m) fill(null)`,
  `SELECT "usage_idle" + "usage_user" AS "sum" FROM "cpu" WHERE ${HOUR_MS}`,
  'SELECT mean("value") FROM "pot" WHERE time >= now() - 6h GROUP BY time(1m) fill(null)',
  `SELECT max("usage_user") FROM "cpu" WHERE ("region" = 'eu' AND "host" != 'c') AND ${HOUR_MS} GROUP BY time(1m), "host" fill(0)`,

  // Every aggregate, raw and per time bucket.
  ...AGGREGATES.map((f) => `SELECT ${f}(usage_idle) FROM cpu WHERE ${HOUR}`),
  ...AGGREGATES.map((f) => `SELECT ${f}("value") FROM "pot" WHERE ${HOUR} GROUP BY time(10m) fill(none)`),
  `SELECT percentile(usage_user, 50) FROM cpu WHERE ${HOUR}`,
  `SELECT percentile(usage_user, 99.9) FROM cpu WHERE ${HOUR} GROUP BY host`,
  `SELECT count(count), sum(count) FROM cpu WHERE ${HOUR} GROUP BY region`,
  `SELECT mean(usage_idle) AS idle, mean(usage_user) AS "user" FROM cpu WHERE ${HOUR} GROUP BY time(15m)`,
  `SELECT min(value), max(value), spread(value) FROM pot WHERE ${HOUR} GROUP BY device`,
  `SELECT first(value), last(value) FROM pot WHERE ${HOUR} GROUP BY *`,
  `SELECT stddev(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY time(20m), region fill(none)`,

  // Transformations.
  `SELECT derivative(value) FROM pot WHERE ${HOUR}`,
  `SELECT derivative(value, 1m) FROM pot WHERE ${HOUR} GROUP BY device`,
  `SELECT non_negative_derivative(count) FROM cpu WHERE ${HOUR} GROUP BY host`,
  `SELECT non_negative_derivative(max(count), 10s) FROM cpu WHERE ${HOUR} GROUP BY time(1m), host`,
  `SELECT difference(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY host`,
  `SELECT difference(mean(value)) FROM pot WHERE ${HOUR} GROUP BY time(5m)`,
  `SELECT moving_average(value, 3) FROM pot WHERE ${HOUR}`,
  `SELECT moving_average(mean(usage_idle), 2) FROM cpu WHERE ${HOUR} GROUP BY time(10m) fill(linear)`,
  `SELECT cumulative_sum(count) FROM cpu WHERE ${HOUR} GROUP BY host`,
  `SELECT cumulative_sum(sum(count)) FROM cpu WHERE ${HOUR} GROUP BY time(10m)`,
  `SELECT derivative(mean(value), 1s) * 60 AS per_minute FROM pot WHERE ${HOUR} GROUP BY time(1m)`,

  // Raw selections and math between fields.
  `SELECT * FROM cpu WHERE ${HOUR}`,
  `SELECT * FROM pot WHERE ${HOUR} LIMIT 10`,
  `SELECT usage_idle, usage_user, host FROM cpu WHERE ${HOUR}`,
  `SELECT usage_idle * 2 - usage_user FROM cpu WHERE ${HOUR}`,
  `SELECT (usage_idle + usage_user) / 2 AS avg FROM cpu WHERE ${HOUR}`,
  `SELECT usage_idle % 7, -usage_user FROM cpu WHERE ${HOUR}`,
  `SELECT 100 - usage_idle AS busy FROM cpu WHERE ${HOUR} AND host = 'a'`,
  `SELECT value / 4095 * 100 AS percent FROM pot WHERE ${HOUR}`,
  `SELECT mean(usage_idle) * 100 / 3 FROM cpu WHERE ${HOUR} GROUP BY time(5m)`,
  `SELECT mean(usage_idle) - mean(usage_user) AS gap FROM cpu WHERE ${HOUR} GROUP BY time(10m), host`,
  `SELECT usage_idle::float, count::integer, host::tag FROM cpu WHERE ${HOUR}`,
  `SELECT "value"::field, "topic"::tag FROM "pot" WHERE ${HOUR}`,
  `SELECT /usage/ FROM cpu WHERE ${HOUR}`,
  `SELECT value FROM pot WHERE ${HOUR} ORDER BY time DESC LIMIT 5`,

  // GROUP BY: time with offsets, tags, *, regex.
  `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY time(10m, 5m)`,
  `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY time(10m, -2m)`,
  `SELECT count(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY time(1h, 30m), host`,
  `SELECT mean(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY host, region`,
  `SELECT mean(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY time(15m), *`,
  `SELECT mean(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY *`,
  `SELECT mean(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY /reg/`,
  `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY "device", time(30m)`,
  `SELECT sum(count) FROM cpu WHERE ${HOUR} GROUP BY time(90s) fill(none)`,

  // Every fill.
  ...['none', 'null', 'previous', 'linear', '0', '-1', '42.5'].map(
    (f) => `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY time(5m) fill(${f})`,
  ),
  `SELECT max(usage_user) FROM cpu WHERE ${HOUR} GROUP BY time(10m), host fill(previous)`,

  // Time ranges: relative, RFC 3339, epoch with units, bare nanoseconds.
  'SELECT value FROM pot WHERE time > now() - 5m',
  'SELECT value FROM pot WHERE time > now() - 1h30m AND time < now() - 10s',
  'SELECT mean(value) FROM pot WHERE time >= now() - 1d GROUP BY time(1h)',
  `SELECT value FROM pot WHERE time >= '2024-01-01T00:10:00Z' AND time <= '2024-01-01T00:20:00.5Z'`,
  `SELECT value FROM pot WHERE time >= '2024-01-01 00:10:00' AND time < '2024-01-01 00:30:00'`,
  `SELECT value FROM pot WHERE time > '2024-01-01T00:00:00+01:00' AND time < ${TO}`,
  'SELECT value FROM pot WHERE time >= 1704067200s AND time < 1704070800s',
  'SELECT value FROM pot WHERE time >= 1704067200000000u AND time < 1704067800000000u',
  'SELECT value FROM pot WHERE time >= 1704067200000000000 AND time < 1704068400000000000',
  'SELECT value FROM pot WHERE time >= 1704067200000ms - 1h AND time < 1704067200000ms + 30m',
  `SELECT value FROM pot WHERE time = '2024-01-01T00:00:00Z'`,
  `SELECT mean(value) FROM pot WHERE time >= ${FROM} AND time < ${FROM} + 20m GROUP BY time(2m)`,

  // Tag predicates with every operator, AND and OR.
  `SELECT value FROM pot WHERE topic = '/pot' AND ${HOUR}`,
  `SELECT value FROM pot WHERE topic != '/pot' AND ${HOUR}`,
  `SELECT value FROM pot WHERE topic <> '/pot2' AND ${HOUR}`,
  `SELECT value FROM pot WHERE device =~ /^esp32-[12]$/ AND ${HOUR}`,
  `SELECT value FROM pot WHERE device !~ /2$/ AND ${HOUR}`,
  `SELECT usage_idle FROM cpu WHERE (host = 'a' OR host = 'b') AND ${HOUR}`,
  "SELECT usage_idle FROM cpu WHERE host = 'a' OR region = 'us'",
  "SELECT usage_idle FROM cpu WHERE (host = 'a' AND region = 'eu') OR (host = 'c' AND region = 'us')",
  "SELECT usage_idle FROM cpu WHERE host = 'a' AND region = 'eu' OR host = 'c'",
  `SELECT mean(usage_idle) FROM cpu WHERE region =~ /eu|us/ AND host !~ /^c/ AND ${HOUR} GROUP BY time(10m), host`,
  `SELECT usage_idle FROM cpu WHERE "host" = 'a' AND "region" = 'eu' AND ${HOUR}`,
  `SELECT usage_idle FROM cpu WHERE host::tag = 'b' AND ${HOUR}`,
  `SELECT value FROM pot WHERE topic = 'it\\'s' AND ${HOUR}`,

  // Field predicates.
  `SELECT value FROM pot WHERE value > 2000 AND ${HOUR}`,
  `SELECT value FROM pot WHERE value >= 100 AND value < 2000 AND ${HOUR}`,
  `SELECT usage_idle FROM cpu WHERE (usage_idle < 50.5 OR usage_user > 40) AND ${HOUR}`,
  `SELECT count FROM cpu WHERE count = 3 AND ${HOUR}`,
  `SELECT count FROM cpu WHERE count != 0 AND ${HOUR}`,
  `SELECT usage_idle FROM cpu WHERE usage_idle + usage_user > 90 AND ${HOUR}`,
  `SELECT usage_idle FROM cpu WHERE usage_idle::float <= -1.5 AND ${HOUR}`,
  `SELECT mean(value) FROM pot WHERE value > 0 AND device = 'esp32-1' AND ${HOUR} GROUP BY time(5m)`,

  // ORDER BY, LIMIT, OFFSET, SLIMIT, SOFFSET.
  `SELECT value FROM pot WHERE ${HOUR} ORDER BY time DESC`,
  `SELECT value FROM pot WHERE ${HOUR} ORDER BY time ASC LIMIT 3`,
  `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY time(10m) ORDER BY time DESC LIMIT 2`,
  `SELECT value FROM pot WHERE ${HOUR} LIMIT 5 OFFSET 10`,
  `SELECT usage_idle FROM cpu WHERE ${HOUR} GROUP BY host LIMIT 2 OFFSET 1`,
  `SELECT usage_idle FROM cpu WHERE ${HOUR} GROUP BY host SLIMIT 2`,
  `SELECT usage_idle FROM cpu WHERE ${HOUR} GROUP BY host SLIMIT 1 SOFFSET 1`,
  `SELECT mean(usage_idle) FROM cpu WHERE ${HOUR} GROUP BY time(10m), host fill(none) ORDER BY time DESC LIMIT 3 OFFSET 1 SLIMIT 2 SOFFSET 1`,

  // Time zones.
  `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY time(1h) tz('Europe/Berlin')`,
  `SELECT value FROM pot WHERE ${HOUR} LIMIT 3 tz('America/New_York')`,
  `SELECT count(value) FROM pot WHERE ${HOUR} GROUP BY time(30m) fill(0) tz('Asia/Kolkata')`,
  `SELECT value FROM pot WHERE ${HOUR} tz('UTC')`,

  // Several sources, qualified and regex sources.
  `SELECT * FROM cpu, pot WHERE ${HOUR} LIMIT 2`,
  `SELECT mean(value) FROM /^po/ WHERE ${HOUR} GROUP BY time(30m)`,
  `SELECT * FROM "autogen".cpu WHERE ${HOUR} LIMIT 1`,
  `SELECT * FROM /cpu|pot/ WHERE ${HOUR} LIMIT 1`,

  // Several statements in one query, as Grafana sends a panel's queries.
  `SELECT mean(value) FROM pot WHERE ${HOUR} GROUP BY time(10m); SELECT max(usage_user) FROM cpu WHERE ${HOUR} GROUP BY time(10m)`,
  `SELECT last(value) FROM pot WHERE ${HOUR};SELECT last(usage_idle) FROM cpu WHERE ${HOUR};`,
  '-- the latest reading\nSELECT last(value) FROM pot WHERE time > now() - 1h',
  // A comment cannot open a field: InfluxDB reads `/* … */` there as a regex, so it comes after one.
  "SELECT value /* raw */ FROM pot WHERE time > now() - 15m\n  AND topic = '/pot'",

  // SHOW statements.
  'SHOW DATABASES',
  'SHOW RETENTION POLICIES',
  'SHOW MEASUREMENTS',
  'SHOW MEASUREMENTS LIMIT 100',
  'SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/ LIMIT 100',
  'SHOW MEASUREMENTS WITH MEASUREMENT = cpu',
  "SHOW MEASUREMENTS WHERE host = 'a'",
  'SHOW MEASUREMENTS LIMIT 1 OFFSET 1',
  'SHOW TAG KEYS',
  'SHOW TAG KEYS FROM "cpu"',
  'SHOW TAG KEYS FROM cpu, pot',
  'SHOW TAG KEYS FROM /p.*/ LIMIT 1',
  'SHOW TAG VALUES FROM "pot" WITH KEY = "topic"',
  'SHOW TAG VALUES FROM "cpu" WITH KEY = "host" WHERE region = \'eu\'',
  'SHOW TAG VALUES WITH KEY IN ("host", "region")',
  'SHOW TAG VALUES FROM cpu WITH KEY =~ /^h/',
  'SHOW TAG VALUES FROM cpu WITH KEY != "host"',
  'SHOW TAG VALUES FROM pot WITH KEY !~ /top/ LIMIT 1',
  'SHOW TAG VALUES FROM cpu WITH KEY = host LIMIT 2 OFFSET 1',
  'SHOW FIELD KEYS',
  'SHOW FIELD KEYS FROM "pot"',
  'SHOW FIELD KEYS FROM cpu LIMIT 1',
  'SHOW SERIES',
  'SHOW SERIES FROM cpu',
  "SHOW SERIES FROM cpu WHERE host = 'a'",
  'SHOW SERIES FROM pot WHERE device =~ /1$/ LIMIT 1',
  'SHOW SERIES LIMIT 2 OFFSET 1',
];
