export type { Profile, ProfileName, SimMessage } from './profiles/index.js';
export { isProfileName, PROFILES, profileNames } from './profiles/index.js';
export type { Rng } from './rng.js';
export { createRng } from './rng.js';
export { Simulator, type SimulatorOptions, type SimulatorStats } from './simulator.js';
