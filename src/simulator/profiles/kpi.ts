import { wander } from '../noise.js';
import { mixSeed } from '../rng.js';
import type { Profile } from './profile.js';

/**
 * Seed 002: the "MQTT KPI publisher", a mock temperature sensor. Each device publishes its engine
 * temperature as a KPI message valid against examples/kpi-collection/kpi_msg_schema.json, on
 * `/kpi/engineTemp/<client-ID>` with a client id of exactly 10 characters (`temp-pub01` …).
 * The message carries its own timestamp, as the seed's publisher sets it.
 */
export const kpiProfile: Profile = {
  name: 'kpi',
  describe:
    'KPI temperature publisher (seed 002): JSON {timestamp, value, unit} on /kpi/engineTemp/temp-pubNN',
  messages(deviceIndex, tick, rng, nowMs) {
    const client = `temp-pub${String((deviceIndex + 1) % 100).padStart(2, '0')}`;
    // An engine warms up over ~60 readings and then hovers around 90 °C.
    const warmup = Math.min(1, tick / 60);
    const value =
      20 + warmup * 70 + wander(mixSeed(deviceIndex, 7), tick, 120) * 4 + (rng.next() - 0.5) * 0.4;
    const payload = JSON.stringify({
      timestamp: new Date(nowMs).toISOString(),
      value: Math.round(value * 100) / 100,
      unit: '°C',
    });
    return [{ topic: `/kpi/engineTemp/${client}`, payload }];
  },
};
