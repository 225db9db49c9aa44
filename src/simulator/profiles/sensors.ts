import { latticeValue, wander } from '../noise.js';
import { mixSeed } from '../rng.js';
import type { Profile } from './profile.js';

// Channel ids keep each device's temperature and humidity curves independent of each other.
const TEMPERATURE = 1;
const HUMIDITY = 2;

/**
 * Seed 000: an ESP32 with a temperature/humidity sensor in a bathroom. Telegraf there reads
 * `sensors/#` with `data_format = "value"`, so every reading is a bare number on its own topic.
 */
export const sensorsProfile: Profile = {
  name: 'sensors',
  describe: 'ESP32 room sensor (seed 000): plain numbers on sensors/<device>/temperature and /humidity',
  messages(deviceIndex, tick, rng) {
    const device = `device-${deviceIndex}`;
    // Rooms differ by a degree or two; within a room temperature drifts slowly (period ~10 min at 1 s).
    const roomOffset = latticeValue(deviceIndex, 0) * 1.5;
    const temperature =
      21.5 + roomOffset + wander(mixSeed(deviceIndex, TEMPERATURE), tick, 600) * 3 + (rng.next() - 0.5) * 0.1;
    // Humidity swings further (a shower) and faster, within what a DHT22/BME280 reports.
    const humidity = clamp(
      55 + wander(mixSeed(deviceIndex, HUMIDITY), tick, 300) * 25 + (rng.next() - 0.5) * 0.4,
      20,
      99,
    );
    return [
      { topic: `sensors/${device}/temperature`, payload: temperature.toFixed(2) },
      { topic: `sensors/${device}/humidity`, payload: humidity.toFixed(1) },
    ];
  },
};

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
