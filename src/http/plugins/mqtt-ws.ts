import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { createWebSocketStream } from 'ws';

export type MqttStreamHandler = (stream: Duplex, req: IncomingMessage) => void;

/** MQTT over WebSocket at /mqtt on the HTTP port; authentication happens in MQTT CONNECT, as on TCP. */
export const mqttWebSocketRoute: FastifyPluginAsync<{ handler: MqttStreamHandler }> = async (app, opts) => {
  app.get('/mqtt', { websocket: true }, (socket, req) => {
    const stream = createWebSocketStream(socket);
    stream.on('error', (err) => req.log.debug({ err: err.message }, 'mqtt websocket error'));
    opts.handler(stream, req.raw);
  });
};
