import { bessProfile } from './bess.js';
import { kpiProfile } from './kpi.js';
import { potProfile } from './pot.js';
import { potSweepProfile } from './pot-sweep.js';
import type { Profile } from './profile.js';
import { sensorsProfile } from './sensors.js';

export type { Profile, SimMessage } from './profile.js';

/** Every profile, by the name users pass to `--profile`. Adding one means one file and one line here. */
export const PROFILES = {
  sensors: sensorsProfile,
  pot: potProfile,
  'pot-sweep': potSweepProfile,
  kpi: kpiProfile,
  bess: bessProfile,
} as const satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;

export const profileNames = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}
