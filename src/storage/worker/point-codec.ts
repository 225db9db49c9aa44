import type { FieldValue, Point } from '../../core/point.js';

/**
 * A batch of points in a form that crosses to the store's worker thread almost for free: numbers in
 * typed arrays (transferred, not copied) and each distinct series and field name once. Structured-cloning
 * the Point objects themselves would cost the main thread more than the store work it hands off.
 */
export interface EncodedPoints {
  /** `JSON.stringify([database, measurement, tags])`, once per distinct series in the batch. */
  readonly series: string[];
  readonly names: string[];
  /** Per point: index into `series`. */
  readonly seriesOf: Uint32Array;
  readonly time: Float64Array;
  /** Per point: its fields are `fieldStart[i] .. fieldStart[i + 1]` (length points + 1). */
  readonly fieldStart: Uint32Array;
  /** Per field value: index into `names`. */
  readonly nameOf: Uint32Array;
  /** Per field value: 0 number, 1 boolean, 2 string (then `num` indexes `strings`). */
  readonly kind: Uint8Array;
  readonly num: Float64Array;
  readonly strings: string[];
}

const NUMBER = 0;
const BOOLEAN = 1;
const STRING = 2;

export function encodePoints(points: readonly Point[]): EncodedPoints {
  const seriesIndex = new Map<string, number>();
  const series: string[] = [];
  const nameIndex = new Map<string, number>();
  const names: string[] = [];
  const strings: string[] = [];
  const n = points.length;
  const seriesOf = new Uint32Array(n);
  const time = new Float64Array(n);
  const fieldStart = new Uint32Array(n + 1);
  let fieldCount = 0;
  for (const p of points) for (const _ in p.fields) fieldCount++;
  const nameOf = new Uint32Array(fieldCount);
  const kind = new Uint8Array(fieldCount);
  const num = new Float64Array(fieldCount);

  let f = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i] as Point;
    // Tag order as given: points from one rule share it, and a different order only costs a second entry.
    let key = `${p.database}\u0000${p.measurement}`;
    for (const k in p.tags) key += `\u0000${k}\u0000${p.tags[k]}`;
    let s = seriesIndex.get(key);
    if (s === undefined) {
      s = series.length;
      series.push(JSON.stringify([p.database, p.measurement, p.tags]));
      seriesIndex.set(key, s);
    }
    seriesOf[i] = s;
    time[i] = p.time;
    fieldStart[i] = f;
    for (const name in p.fields) {
      let ni = nameIndex.get(name);
      if (ni === undefined) {
        ni = names.length;
        names.push(name);
        nameIndex.set(name, ni);
      }
      nameOf[f] = ni;
      const v = p.fields[name] as FieldValue;
      if (typeof v === 'number') {
        kind[f] = NUMBER;
        num[f] = v;
      } else if (typeof v === 'boolean') {
        kind[f] = BOOLEAN;
        num[f] = v ? 1 : 0;
      } else {
        kind[f] = STRING;
        num[f] = strings.length;
        strings.push(v);
      }
      f++;
    }
  }
  fieldStart[n] = f;
  return { series, names, seriesOf, time, fieldStart, nameOf, kind, num, strings };
}

export function transferListOf(e: EncodedPoints): ArrayBuffer[] {
  return [e.seriesOf, e.time, e.fieldStart, e.nameOf, e.kind, e.num].map((a) => a.buffer as ArrayBuffer);
}

export function decodePoints(e: EncodedPoints): Point[] {
  const series = e.series.map((json) => {
    const [database, measurement, tags] = JSON.parse(json) as [string, string, Record<string, string>];
    return { database, measurement, tags };
  });
  const points: Point[] = new Array(e.seriesOf.length);
  for (let i = 0; i < e.seriesOf.length; i++) {
    const s = series[e.seriesOf[i] as number] as (typeof series)[number];
    const fields: Record<string, FieldValue> = {};
    for (let f = e.fieldStart[i] as number; f < (e.fieldStart[i + 1] as number); f++) {
      const name = e.names[e.nameOf[f] as number] as string;
      const k = e.kind[f];
      const raw = e.num[f] as number;
      fields[name] = k === NUMBER ? raw : k === BOOLEAN ? raw === 1 : (e.strings[raw] as string);
    }
    points[i] = {
      database: s.database,
      measurement: s.measurement,
      tags: s.tags,
      fields,
      time: e.time[i] as number,
    };
  }
  return points;
}

/** Structured cloning turns a Buffer into a plain Uint8Array; this views it as a Buffer again, without a copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
