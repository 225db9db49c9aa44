/**
 * Every scalar option is declared once here: its key in the YAML file, its env var, its CLI flag, its
 * default (with unit) and its help text. load.ts derives the env and flag handling from this table, and
 * `sensorhub start --help` prints it.
 */
export type OptionKind = 'string' | 'port' | 'boolean' | 'duration' | 'size' | 'int' | 'level';

export interface OptionSpec {
  readonly key: string;
  readonly kind: OptionKind;
  readonly default: string | number | boolean;
  readonly help: string;
  readonly env?: string;
  readonly flag?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dataDir',
    kind: 'string',
    default: './data',
    env: 'SENSORHUB_DATA_DIR',
    flag: 'data-dir',
    help: 'Directory for the database and other state.',
  },
  {
    key: 'logLevel',
    kind: 'level',
    default: 'info',
    env: 'SENSORHUB_LOG_LEVEL',
    flag: 'log-level',
    help: 'fatal, error, warn, info, debug, trace or silent.',
  },
  {
    key: 'demo',
    kind: 'boolean',
    default: false,
    env: 'SENSORHUB_DEMO',
    flag: 'demo',
    help: 'Run a few simulated devices in-process so data moves at once.',
  },
  {
    key: 'mqtt.host',
    kind: 'string',
    default: '0.0.0.0',
    env: 'SENSORHUB_MQTT_HOST',
    flag: 'mqtt-host',
    help: 'Address the MQTT TCP listener binds to.',
  },
  {
    key: 'mqtt.port',
    kind: 'port',
    default: 1883,
    env: 'SENSORHUB_MQTT_PORT',
    flag: 'mqtt-port',
    help: 'MQTT TCP port; 0 picks a free port (logged).',
  },
  {
    key: 'mqtt.tlsPort',
    kind: 'port',
    default: 8883,
    env: 'SENSORHUB_MQTTS_PORT',
    flag: 'mqtts-port',
    help: 'MQTT over TLS port, opened when tls.cert and tls.key are set; 0 picks a free port (logged).',
  },
  {
    key: 'tls.cert',
    kind: 'string',
    default: '',
    env: 'SENSORHUB_TLS_CERT',
    flag: 'tls-cert',
    help: 'PEM certificate (chain) file. With tls.key: MQTT over TLS, and HTTPS/WSS on the HTTP port.',
  },
  {
    key: 'tls.key',
    kind: 'string',
    default: '',
    env: 'SENSORHUB_TLS_KEY',
    flag: 'tls-key',
    help: 'PEM private key file for tls.cert (a file, never the key itself).',
  },
  {
    key: 'mqtt.allowAnonymous',
    kind: 'boolean',
    default: false,
    env: 'SENSORHUB_ALLOW_ANONYMOUS',
    flag: 'allow-anonymous',
    help: 'Accept MQTT and HTTP clients without credentials (logged as a warning).',
  },
  {
    key: 'mqtt.maxPacketSize',
    kind: 'size',
    default: '1MiB',
    env: 'SENSORHUB_MQTT_MAX_PACKET_SIZE',
    help: 'Largest MQTT packet accepted; larger ones close the connection (MQTT 5: DISCONNECT 0x95).',
  },
  {
    key: 'auth.maxFailures',
    kind: 'int',
    default: 10,
    env: 'SENSORHUB_AUTH_MAX_FAILURES',
    help: 'Failed logins (MQTT or HTTP) from one address within auth.failureWindow that block it.',
  },
  {
    key: 'auth.failureWindow',
    kind: 'duration',
    default: '1m',
    env: 'SENSORHUB_AUTH_FAILURE_WINDOW',
    help: 'Window in which failed logins from one address are counted.',
  },
  {
    key: 'auth.blockFor',
    kind: 'duration',
    default: '5m',
    env: 'SENSORHUB_AUTH_BLOCK_FOR',
    help: 'How long a blocked address is refused before its credentials are even checked.',
  },
  {
    key: 'broker.mode',
    kind: 'string',
    default: 'embedded',
    env: 'SENSORHUB_BROKER_MODE',
    flag: 'broker-mode',
    help: 'embedded (sensorhub is the MQTT broker) or external (ingest subscribes on broker.url instead).',
  },
  {
    key: 'broker.url',
    kind: 'string',
    default: '',
    env: 'SENSORHUB_BROKER_URL',
    flag: 'broker-url',
    help: 'External mode: the broker, mqtt://host:1883 or mqtts://host:8883. Password: SENSORHUB_BROKER_PASSWORD(_FILE).',
  },
  {
    key: 'broker.username',
    kind: 'string',
    default: '',
    env: 'SENSORHUB_BROKER_USERNAME',
    help: 'External mode: the username sensorhub logs in with.',
  },
  {
    key: 'broker.clientId',
    kind: 'string',
    default: '',
    env: 'SENSORHUB_BROKER_CLIENT_ID',
    help: "External mode: this process's client id, stable across restarts (its session); default sensorhub-<hostname>.",
  },
  {
    key: 'broker.shareGroup',
    kind: 'string',
    default: 'sensorhub',
    env: 'SENSORHUB_BROKER_SHARE_GROUP',
    help: 'External mode: the shared-subscription group; processes in one group split the messages.',
  },
  {
    key: 'broker.caFile',
    kind: 'string',
    default: '',
    env: 'SENSORHUB_BROKER_CA_FILE',
    help: 'External mode: a PEM CA file to trust for mqtts:// (besides the system CAs).',
  },
  {
    key: 'mqtt.maxConnectionsPerUser',
    kind: 'int',
    default: 1000,
    env: 'SENSORHUB_MQTT_MAX_CONNECTIONS_PER_USER',
    help: 'Open MQTT connections one user (or device) may have; further CONNECTs are refused. 0: no limit.',
  },
  {
    key: 'mqtt.receiveMaximum',
    kind: 'int',
    default: 1000,
    env: 'SENSORHUB_MQTT_RECEIVE_MAXIMUM',
    help: 'In-flight QoS 1/2 publishes per client, advertised to MQTT 5 clients; a faster publisher is slowed by TCP back-pressure.',
  },
  {
    key: 'http.host',
    kind: 'string',
    default: '0.0.0.0',
    env: 'SENSORHUB_HTTP_HOST',
    flag: 'http-host',
    help: 'Address the HTTP listener (API, MQTT over WebSocket at /mqtt) binds to.',
  },
  {
    key: 'http.port',
    kind: 'port',
    default: 8086,
    env: 'SENSORHUB_HTTP_PORT',
    flag: 'http-port',
    help: 'HTTP port (InfluxDB’s 8086 by default); 0 picks a free port (logged).',
  },
  {
    key: 'ingest.database',
    kind: 'string',
    default: 'sensorhub',
    env: 'SENSORHUB_DATABASE',
    help: 'Database that rules without their own `database` write to.',
  },
  {
    key: 'ingest.maxPayloadSize',
    kind: 'size',
    default: '256KiB',
    env: 'SENSORHUB_MAX_PAYLOAD_SIZE',
    help: 'Largest payload a rule decodes; larger ones are dead-lettered with ING_TOO_LARGE.',
  },
  {
    key: 'ingest.batchMaxPoints',
    kind: 'int',
    default: 20000,
    help: 'Most points committed in one transaction (group commit).',
  },
  {
    key: 'ingest.maxPendingPoints',
    kind: 'int',
    default: 200000,
    help: 'Points waiting for commit before publishers are slowed down (back-pressure).',
  },
  {
    key: 'ingest.deadLetterPayloadLimit',
    kind: 'size',
    default: '4KiB',
    help: 'Bytes of a rejected payload kept in its dead-letter record.',
  },
  {
    key: 'query.maxPoints',
    kind: 'int',
    default: 1000000,
    help: 'Most values one query may return; more is refused with QRY_TOO_MANY_POINTS.',
  },
];
