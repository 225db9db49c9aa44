import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

const children = new Set<ChildProcess>();

// A bench that dies (error, Ctrl-C) must not leave servers behind holding ports and data dirs.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

let tasksetChecked: boolean | undefined;

/** Whether processes can be pinned to cores: taskset exists and there are at least two cores. */
export function canPin(cores: number): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-V'], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked && cores >= 2;
}

/**
 * Spawns `command`, pinned to `cpu` with taskset when given. taskset execs the command, so the pid is the
 * real process's and /proc/<pid> shows its memory.
 */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
  cpu: number | undefined,
): ChildProcess {
  const child =
    cpu === undefined
      ? spawn(command, args, options)
      : spawn('taskset', ['-c', String(cpu), command, ...args], options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how long the process took to exit. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<number> {
  const start = performance.now();
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(0);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(performance.now() - start);
    });
    child.kill('SIGTERM');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}
