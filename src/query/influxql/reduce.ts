import type { Expr } from './ast.js';

/**
 * InfluxDB reduces a GROUP BY expression before checking it: parentheses around a single term go away and
 * duration arithmetic is folded, so `GROUP BY (host)` is a tag and `time(2 * 10s)` is `time(20s)`. Only the
 * folds that can yield a duration matter here; anything else stays as written and is refused the same way.
 */
export function reduceDimension(expr: Expr): Expr {
  switch (expr.kind) {
    case 'paren': {
      const inner = reduceDimension(expr.expr);
      return inner.kind === 'binary' ? { kind: 'paren', expr: inner } : inner;
    }
    case 'binary': {
      const left = reduceDimension(expr.left);
      const right = reduceDimension(expr.right);
      return fold(expr.op, left, right) ?? { kind: 'binary', op: expr.op, left, right };
    }
    case 'call':
      return { kind: 'call', name: expr.name, args: expr.args.map(reduceDimension) };
    default:
      return expr;
  }
}

const duration = (micros: number): Expr => ({ kind: 'duration', micros: micros === 0 ? 0 : micros });

/** Go keeps durations in integer nanoseconds; scaling truncates to whole nanoseconds as it does. */
const scaled = (micros: number, factor: number) => duration(Math.trunc(micros * 1000 * factor) / 1000);

function fold(op: string, l: Expr, r: Expr): Expr | undefined {
  if (l.kind === 'duration' && r.kind === 'duration') {
    if (op === '+') return duration(l.micros + r.micros);
    if (op === '-') return duration(l.micros - r.micros);
    if (op === '%' && r.micros !== 0) return duration(l.micros % r.micros);
    return undefined;
  }
  if (l.kind === 'duration' && r.kind === 'number') {
    if (op === '*') return scaled(l.micros, r.value);
    if (op === '/' && r.value !== 0) {
      if (!r.integer) return scaled(l.micros, 1 / r.value);
      return duration(Math.trunc((l.micros * 1000) / r.value) / 1000);
    }
    return undefined;
  }
  if (l.kind === 'number' && r.kind === 'duration' && op === '*') return scaled(r.micros, l.value);
  return undefined;
}
