import type { CompiledAlertRule } from './model.js';
import { conditionHolds, isRecovered } from './model.js';
import type { AlertState } from './types.js';

/**
 * The human sentence of a transition ("avg(value) over 10s = 3120 > 3000"). Built only when a transition
 * happens, never on the hot path.
 */
export function describeValueTransition(rule: CompiledAlertRule, to: AlertState, value: number): string {
  const head = `${expression(rule)} = ${formatNumber(value)}`;
  const holds = conditionHolds(rule.condition, value);
  switch (to) {
    case 'pending':
      return `${head} ${conditionText(rule)}; fires if it holds for ${formatDuration(rule.forMicros / 1000)}`;
    case 'firing':
      return holds ? `${head} ${conditionText(rule)}` : `${head}, not yet recovered (${recoveryText(rule)})`;
    case 'recovering':
      return `${head}, recovered (${recoveryText(rule)}); normal if it stays so for ${formatDuration(rule.keepFiringForMicros / 1000)}`;
    case 'normal':
      return rule.recovery !== undefined && isRecovered(rule, value)
        ? `${head}, recovered (${recoveryText(rule)})`
        : `${head}, not ${conditionText(rule)}`;
    default:
      return head;
  }
}

/** "no data for 30s", or the presence reason given by the engine. */
export function describeNoData(rule: CompiledAlertRule, reason: string): string {
  const state = rule.noData?.state ?? 'nodata';
  return state === 'nodata' ? reason : `${reason} (noData.state: ${state})`;
}

/** `avg(value) over 10s`. */
export function expression(rule: CompiledAlertRule): string {
  return `${rule.reducer}(${rule.field}) over ${formatDuration(rule.windowMicros / 1000)}`;
}

function conditionText(rule: CompiledAlertRule): string {
  const c = rule.condition;
  switch (c.op) {
    case 'outside':
    case 'inside':
      return `${c.op} [${formatNumber(c.low)}, ${formatNumber(c.high)}]`;
    default:
      return `${c.op} ${formatNumber(c.threshold)}`;
  }
}

function recoveryText(rule: CompiledAlertRule): string {
  const c = rule.condition;
  const r = rule.recovery;
  if (r === undefined) return `not ${conditionText(rule)}`;
  if (typeof r === 'number')
    return c.op === '>' || c.op === '>=' ? `recovery < ${formatNumber(r)}` : `recovery > ${formatNumber(r)}`;
  return c.op === 'outside'
    ? `recovery inside (${formatNumber(r.low)}, ${formatNumber(r.high)})`
    : `recovery outside (${formatNumber(r.low)}, ${formatNumber(r.high)})`;
}

/** At most 6 significant digits, no exponent for everyday magnitudes: 3120.45, 0.000123, 1.5e+21. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e6) {
    // Rounding by arithmetic: toPrecision is several times slower, and transitions can come in thousands.
    const scale = 10 ** (5 - Math.floor(Math.log10(abs)));
    return String(Math.round(v * scale) / scale);
  }
  return String(Number(v.toPrecision(6)));
}

/** 10000 → "10s", 90000 → "1m30s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: ReadonlyArray<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out || `${ms}ms`;
}
