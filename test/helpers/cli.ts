import { spawn } from 'node:child_process';

/** Runs the built CLI (`dist/src/cli/main.js`) with only PATH and `env`; `input` goes to its stdin. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], {
      // Retention INF unless the test sets SENSORHUB_RETENTION: tests write data dated years back.
      env: { PATH: process.env.PATH ?? '', SENSORHUB_RETENTION: 'INF', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
