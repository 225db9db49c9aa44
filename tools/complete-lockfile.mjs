#!/usr/bin/env node
// The npm registry this project is built against serves only the linux-x64 builds of packages that ship
// one native package per platform (DuckDB, Biome, esbuild, rollup). npm then leaves the other platforms'
// optional packages out of package-lock.json, and `npm ci` refuses the lockfile as out of sync. This adds
// an entry for each missing optional platform package, with the os/cpu/libc that npm uses to skip it on
// other machines, so `npm ci` accepts the lockfile and installs only what fits the machine.
// Run after `npm install` whenever dependencies change: node tools/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const base = name.split('/').pop();
  const os = [
    'darwin',
    'linux',
    'win32',
    'android',
    'freebsd',
    'openbsd',
    'netbsd',
    'sunos',
    'aix',
    'openharmony',
  ].find((o) => base.includes(`-${o}`) || base.startsWith(`${o}-`));
  const cpu = [
    'arm64',
    'x64',
    'ia32',
    'arm',
    'loong64',
    'mips64el',
    'ppc64',
    'riscv64',
    's390x',
    'wasm32',
  ].find((c) => new RegExp(`(^|-)${c}(-|$)`).test(base));
  if (!os && base.includes('wasm')) return { cpu: ['wasm32'] };
  const entry = {};
  if (os) entry.os = [os];
  if (cpu) entry.cpu = [cpu];
  if (base.includes('musl')) entry.libc = ['musl'];
  else if (os === 'linux' && /gnu/.test(base)) entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [where, pkg] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const prefix = where === '' ? '' : `${where}/`;
    const candidates = [`${prefix}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => packages[c])) continue;
    const version = String(range).replace(/^[~^=]/, '');
    packages[`node_modules/${name}`] = { version, optional: true, ...platformOf(name) };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform package entries`);
