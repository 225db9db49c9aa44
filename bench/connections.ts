import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { percentile, roundNumbers } from './lib/report.js';
import { hasMosquitto, type RunningServer, startMosquitto, startSensorhub } from './lib/servers.js';
import { createDeviceUser } from './lib/users.js';

/**
 * How many idle devices a server holds, and what each costs: N connections CONNECT (as one `client` user
 * for sensorhub, anonymous for Mosquitto), stay idle, and the server's resident memory is compared
 * before and after. Then one more client checks that a publish still round-trips quickly.
 *
 *   npm run bench:connections            BENCH_IDLE_CONNECTIONS=10000 (default)
 */
const N = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000);
const BATCH = 500;

interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

/** Opens one connection and resolves with it once the CONNACK accepted it. */
function openIdle(port: number, clientId: string, creds: Credentials): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const parser = mqttPacket.parser();
    parser.on('packet', (p) => {
      if (p.cmd !== 'connack') return;
      if (p.returnCode === 0) resolve(socket);
      else reject(new Error(`CONNACK ${p.returnCode} for ${clientId}`));
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', reject);
    socket.once('connect', () =>
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId,
          keepalive: 600,
          ...(creds.username
            ? { username: creds.username, password: Buffer.from(creds.password ?? '') }
            : {}),
        }),
      ),
    );
  });
}

/** Publish→PUBACK times of a client while the idle ones stay connected. */
async function publishLatencies(
  port: number,
  creds: Credentials,
  topic: string,
  count: number,
): Promise<number[]> {
  const socket = await openIdle(port, `bench-active-${randomBytes(3).toString('hex')}`, creds);
  const parser = mqttPacket.parser();
  const times: number[] = [];
  let waiting: (() => void) | undefined;
  parser.on('packet', (p) => {
    if (p.cmd === 'puback') waiting?.();
  });
  socket.on('data', (d) => parser.parse(d));
  for (let i = 1; i <= count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      waiting = resolve;
      socket.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic,
          payload: Buffer.from(String(i)),
          qos: 1,
          messageId: i,
          dup: false,
          retain: false,
        }),
      );
    });
    times.push(performance.now() - started);
  }
  socket.destroy();
  return times;
}

async function measure(server: RunningServer, creds: Credentials, topic: string) {
  const before = await rssMiB(server.pid);
  const sockets: Socket[] = [];
  const started = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) =>
      openIdle(server.mqttPort, `bench-idle-${i + k}`, creds),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  const connectSeconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  const after = await rssMiB(server.pid);
  const latencies = await publishLatencies(server.mqttPort, creds, topic, 200);
  for (const s of sockets) s.destroy();
  return {
    target: server.name,
    connections: sockets.length,
    connectSeconds,
    connectsPerSecond: sockets.length / connectSeconds,
    rssBeforeMiB: before,
    rssAfterMiB: after,
    kibPerConnection: ((after - before) * 1024) / sockets.length,
    publishP50Ms: percentile(latencies, 50),
    publishP99Ms: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  // All idle devices share one user here (10,000 users would mean 10,000 password hashes to create), so
  // the per-user connection limit (default 1000) is lifted for this run.
  process.env.SENSORHUB_MQTT_MAX_CONNECTIONS_PER_USER ??= '0';
  const results = [];
  const password = randomBytes(18).toString('base64url');
  const sensorhub = await startSensorhub(password, undefined);
  try {
    const device = await createDeviceUser(
      `http://127.0.0.1:${sensorhub.httpPort}`,
      { username: 'admin', password },
      ['sensors/#'],
    );
    results.push(await measure(sensorhub, device, 'sensors/bench-active/v'));
  } finally {
    await sensorhub.stop();
  }
  if (hasMosquitto()) {
    const mosquitto = await startMosquitto(undefined);
    try {
      results.push(await measure(mosquitto, {}, 'sensors/bench-active/v'));
    } finally {
      await mosquitto.stop();
    }
  }
  const header =
    'target      idle conns  connect s  conns/s  RSS before MiB  RSS after MiB  KiB/conn  publish p50/p99 ms';
  const rows = results.map(
    (r) =>
      `${r.target.padEnd(10)}  ${String(r.connections).padStart(10)}  ${r.connectSeconds.toFixed(1).padStart(9)}  ${r.connectsPerSecond.toFixed(0).padStart(7)}  ${r.rssBeforeMiB.toFixed(0).padStart(14)}  ${r.rssAfterMiB.toFixed(0).padStart(13)}  ${r.kibPerConnection.toFixed(1).padStart(8)}  ${(r.publishP50Ms ?? 0).toFixed(1)}/${(r.publishP99Ms ?? 0).toFixed(1)}`,
  );
  process.stdout.write(
    `\nidle connections benchmark: ${N} devices connect and stay idle\n\n${header}\n${rows.join('\n')}\n\n`,
  );
  process.stdout.write(
    `${JSON.stringify(roundNumbers({ bench: 'connections', idleConnections: N, results }))}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
