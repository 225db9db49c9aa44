import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly stderr: () => string;
  readonly logs: () => string[];
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

const CLI = 'dist/src/cli/main.js';

/** Runs `sensorhub start` as a real child process on free ports and waits for its "sensorhub ready" line. */
export async function spawnServer(
  dataDir: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'start',
      '--data-dir',
      dataDir,
      '--mqtt-port',
      '0',
      '--http-port',
      '0',
      '--mqtt-host',
      '127.0.0.1',
      '--http-host',
      '127.0.0.1',
      ...args,
    ],
    // Retention INF unless the test sets SENSORHUB_RETENTION: tests write data dated years back.
    {
      env: { PATH: process.env.PATH ?? '', SENSORHUB_RETENTION: 'INF', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const ready = new Promise<{ mqttPort: number; httpPort: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; mqttPort?: number; httpPort?: number };
        if (entry.msg === 'sensorhub ready')
          resolve({ mqttPort: entry.mqttPort ?? 0, httpPort: entry.httpPort ?? 0 });
      } catch {
        // not a log line
      }
    });
    void exited.then((code) =>
      reject(new Error(`server exited (${code}) before ready:\n${stderr}\n${logs.join('\n')}`)),
    );
  });
  const { mqttPort, httpPort } = await ready;
  return { child, mqttPort, httpPort, stderr: () => stderr, logs: () => logs, exited };
}
