import { wander } from '../noise.js';
import { mixSeed } from '../rng.js';
import type { Profile } from './profile.js';

const CAPACITY_AH = 100;
const CYCLE_TICKS = 240;

/**
 * Seed 003: a battery energy storage system's MQTT gateway publishing each battery's status as JSON on
 * `/batteries/<id>/status`. Batteries alternate between charging and discharging; state of charge,
 * voltage and current follow each other as a real 48 V pack's would (roughly).
 */
export const bessProfile: Profile = {
  name: 'bess',
  describe:
    'BESS battery status (seed 003): JSON {soc, voltage, current, temperature, state} on /batteries/<id>/status',
  messages(deviceIndex, tick, rng) {
    const id = deviceIndex + 1;
    // A charge/discharge cycle of ~4 minutes at 1 s, offset per battery, with a wobble on top.
    const cycle = Math.sin((2 * Math.PI * tick) / CYCLE_TICKS + deviceIndex);
    const phase = cycle * 0.8 + wander(mixSeed(deviceIndex, 3), tick, 60) * 0.2;
    const current = Math.round((phase * 40 + (rng.next() - 0.5)) * 10) / 10;
    const soc =
      Math.round(Math.min(100, Math.max(5, 55 + wander(mixSeed(deviceIndex, 4), tick, 900) * 40)) * 10) / 10;
    const voltage = Math.round((46 + (soc / 100) * 8 + current * 0.01) * 100) / 100;
    const temperature = Math.round((25 + Math.abs(current) * 0.1 + (rng.next() - 0.5) * 0.2) * 10) / 10;
    const state = Math.abs(current) < 1 ? 'idle' : current > 0 ? 'charging' : 'discharging';
    const payload = JSON.stringify({
      id,
      soc,
      soh: 97.5 - deviceIndex * 0.3,
      voltage,
      current,
      temperature,
      capacity_ah: CAPACITY_AH,
      state,
    });
    return [{ topic: `/batteries/${id}/status`, payload }];
  },
};
