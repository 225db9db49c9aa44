import { wander } from '../noise.js';
import { mixSeed } from '../rng.js';
import type { Profile } from './profile.js';

const ADC_MAX = 4095;

/**
 * Seed 001: an ESP32 reads a potentiometer on a 12-bit ADC and publishes the integer to `/pot`. The
 * topic keeps its leading slash and has no device part, exactly as in the seed, so several simulated
 * devices all publish to the same topic.
 */
export const potProfile: Profile = {
  name: 'pot',
  describe: 'ESP32 potentiometer (seed 001): integer 0-4095 on /pot (all devices share the topic)',
  messages(deviceIndex, tick, rng) {
    // A hand turns the knob over ~20 readings; the ESP32's ADC adds a few counts of noise on top.
    const position = 0.5 + wander(mixSeed(deviceIndex, 1), tick, 20) * 0.6;
    const raw = position * ADC_MAX + (rng.next() - 0.5) * 16;
    const value = Math.round(Math.min(ADC_MAX, Math.max(0, raw)));
    return [{ topic: '/pot', payload: String(value) }];
  },
};
