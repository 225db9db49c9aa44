import type { Point } from '../core/point.js';
import { formatLineProtocol } from './line-protocol/serialize.js';

/**
 * Points as line protocol (µs precision): how `rules test` and the rules-test API show what a message
 * becomes. A point line protocol cannot express (a newline in a tag value from a topic) is shown as JSON.
 */
export function formatPointsAsLines(points: readonly Point[]): string {
  return points
    .map((p) => {
      try {
        return formatLineProtocol(
          { measurement: p.measurement, tags: { ...p.tags }, fields: { ...p.fields }, time: p.time },
          'us',
        );
      } catch {
        return JSON.stringify(p);
      }
    })
    .join('\n');
}
