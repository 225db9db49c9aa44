import type { Profile } from './profile.js';

const ADC_MAX = 4095;
/** Readings for one turn from the low end to the high end; the way back takes as many. */
const HALF_PERIOD = 30;

/**
 * Seed 001's potentiometer, turned slowly from one end to the other and back (a triangle over 60 readings,
 * from about 5 % to 95 % of the ADC's range, with a few counts of noise). Unlike `pot`, the 10 s average
 * predictably crosses a threshold up and down each cycle: the profile for trying alerts
 * (examples/pot-alert). Devices start at different points of the cycle.
 */
export const potSweepProfile: Profile = {
  name: 'pot-sweep',
  describe: 'seed 001 potentiometer turned slowly end to end and back (60 readings per cycle) on /pot',
  messages(deviceIndex, tick, rng) {
    const phase = (tick + deviceIndex * 7) % (2 * HALF_PERIOD);
    const position = phase < HALF_PERIOD ? phase / HALF_PERIOD : 2 - phase / HALF_PERIOD;
    const raw = (0.05 + position * 0.9) * ADC_MAX + (rng.next() - 0.5) * 16;
    return [{ topic: '/pot', payload: String(Math.round(Math.min(ADC_MAX, Math.max(0, raw)))) }];
  },
};
