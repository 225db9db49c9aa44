import { execFileSync } from 'node:child_process';

/** Tests that run the real CLI as a child process need dist/ to match the sources. */
export default function setup(): void {
  // For a quick unit-test loop while sources are mid-edit; the full suite always builds.
  if (process.env.SENSORHUB_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  // The web app the server serves (browser tests load it from dist/web).
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
}
