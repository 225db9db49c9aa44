/** Epoch time in microseconds: an integer that a JS number holds exactly for the next ~285 years. */
export type EpochMicros = number;

export type FieldValue = number | boolean | string;

/**
 * One point, the InfluxDB data model. Two points with the same database, measurement, tag set and time
 * are the same point: the later one's fields merge over the earlier one's.
 */
export interface Point {
  readonly database: string;
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly time: EpochMicros;
}

export type FieldType = 'float' | 'boolean' | 'string';

export function fieldTypeOf(value: FieldValue): FieldType {
  switch (typeof value) {
    case 'number':
      return 'float';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}

/** Canonical series key: measurement plus tags sorted by key, as InfluxDB writes it. */
export function seriesKey(measurement: string, tags: Readonly<Record<string, string>>): string {
  const keys = Object.keys(tags);
  if (keys.length === 0) return measurement;
  keys.sort();
  let key = measurement;
  for (const k of keys) key += `,${k}=${tags[k]}`;
  return key;
}

export const msToMicros = (ms: number): EpochMicros => Math.round(ms * 1000);
export const microsToMs = (us: EpochMicros): number => Math.floor(us / 1000);
