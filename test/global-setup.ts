import { execFileSync } from 'node:child_process';

/** Tests that run the real CLI as a child process need dist/ to match the sources. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
