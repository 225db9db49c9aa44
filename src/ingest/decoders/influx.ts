import { type LineError, parseLineProtocol } from '../line-protocol/parse.js';
import { type DecodeContext, DecodeError, excerpt, type Reading } from './decoder.js';

/**
 * `influx`: the payload is InfluxDB line protocol, one point per line (Telegraf's `data_format = "influx"`),
 * each line a reading with its own measurement, tags, fields and time. A message is stored whole or not at
 * all, so one bad line refuses the message; the error names the first bad line and column.
 */
export function decodeInflux(payload: Buffer, ctx: DecodeContext): Reading[] {
  const { points, errors } = parseLineProtocol(payload, { precision: ctx.precision ?? 'ns' });
  const first = errors[0];
  if (first !== undefined) throw new DecodeError('ING_LINE_PROTOCOL', describe(first, errors.length));
  if (points.length === 0) {
    throw new DecodeError(
      'ING_LINE_PROTOCOL',
      `payload ${excerpt(payload)} holds no line protocol point, only blank or comment lines`,
    );
  }
  return points.map(
    (p): Reading =>
      p.time === undefined
        ? { measurement: p.measurement, tags: p.tags, fields: p.fields }
        : { measurement: p.measurement, tags: p.tags, fields: p.fields, time: p.time },
  );
}

function describe(e: LineError, count: number): string {
  const more = count > 1 ? ` (and ${count - 1} more bad line${count > 2 ? 's' : ''})` : '';
  return `line ${e.line} col ${e.column}: ${e.message}, in ${excerpt(Buffer.from(e.text), 60)}${more}`;
}
