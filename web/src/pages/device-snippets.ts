/**
 * Copy-paste connection code for a new device: Arduino (PubSubClient), ESP-IDF, mosquitto_pub and Python
 * paho, filled in with the device's credentials, this server's host and MQTT port, and a topic its ACL
 * lets it publish to.
 */

export interface DeviceConnection {
  readonly host: string;
  readonly port: number;
  /** Client id, user name and ACL subject (%u and %c) of the device. */
  readonly name: string;
  readonly password: string;
  /** A topic the device may publish to, e.g. `sensors/bathroom/temperature`. */
  readonly topic: string;
}

export interface Snippet {
  readonly id: string;
  readonly label: string;
  readonly code: string;
}

/**
 * A concrete topic from the device's publish ACL: `%u`/`%c` become its name, a trailing `#` becomes
 * `temperature`, `+` becomes `value`. The first pattern wins; the default ACL gives
 * `sensors/<name>/temperature`, which the built-in rule stores as measurement `temperature`, tag `device`.
 */
export function exampleTopic(publish: readonly string[], name: string): string {
  const pattern = publish[0] ?? `sensors/${name}/#`;
  const levels = pattern
    .replaceAll('%u', name)
    .replaceAll('%c', name)
    .split('/')
    .map((l) => (l === '#' ? 'temperature' : l === '+' ? 'value' : l));
  return levels.join('/');
}

/** A C or Python string literal (JSON's escapes are valid in both for printable ASCII). */
const lit = (s: string) => JSON.stringify(s);

/** A single-quoted shell word. */
const sh = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`);

export function deviceSnippets(c: DeviceConnection): Snippet[] {
  return [
    {
      id: 'arduino',
      label: 'Arduino (PubSubClient)',
      code: `// ESP32 or ESP8266 with the PubSubClient library.
#if defined(ESP8266)
#include <ESP8266WiFi.h>
#else
#include <WiFi.h>
#endif
#include <PubSubClient.h>

const char* WIFI_SSID = "your-wifi";
const char* WIFI_PASSWORD = "your-wifi-password";
const char* MQTT_HOST = ${lit(c.host)};
const uint16_t MQTT_PORT = ${c.port};
const char* MQTT_CLIENT_ID = ${lit(c.name)};
const char* MQTT_USER = ${lit(c.name)};
const char* MQTT_PASSWORD = ${lit(c.password)};

WiFiClient net;
PubSubClient client(net);

void connectMqtt() {
  while (!client.connected()) {
    if (client.connect(MQTT_CLIENT_ID, MQTT_USER, MQTT_PASSWORD)) break;
    Serial.printf("MQTT connect failed (state %d), retrying\\n", client.state());
    delay(2000);
  }
}

void setup() {
  Serial.begin(115200);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  while (WiFi.status() != WL_CONNECTED) delay(250);
  client.setServer(MQTT_HOST, MQTT_PORT);
}

void loop() {
  connectMqtt();
  client.loop();
  static unsigned long last = 0;
  if (millis() - last >= 10000) {
    last = millis();
    float temperature = 21.5;  // read your sensor here
    client.publish(${lit(c.topic)}, String(temperature, 1).c_str());
  }
}
`,
    },
    {
      id: 'esp-idf',
      label: 'ESP-IDF',
      code: `// ESP-IDF 5 (esp-mqtt). Call mqtt_start() once Wi-Fi is connected.
#include "mqtt_client.h"

static void on_mqtt_event(void *arg, esp_event_base_t base, int32_t event_id, void *event_data) {
    esp_mqtt_event_handle_t event = event_data;
    if (event_id == MQTT_EVENT_CONNECTED) {
        // Plain numbers per topic; the payload length 0 means strlen().
        esp_mqtt_client_publish(event->client, ${lit(c.topic)}, "21.5", 0, 1, 0);
    }
}

void mqtt_start(void) {
    const esp_mqtt_client_config_t cfg = {
        .broker.address.uri = ${lit(`mqtt://${c.host}:${c.port}`)},
        .credentials.client_id = ${lit(c.name)},
        .credentials.username = ${lit(c.name)},
        .credentials.authentication.password = ${lit(c.password)},
    };
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    esp_mqtt_client_register_event(client, ESP_EVENT_ANY_ID, on_mqtt_event, NULL);
    esp_mqtt_client_start(client);
}
`,
    },
    {
      id: 'mosquitto',
      label: 'mosquitto_pub',
      code: `mosquitto_pub -h ${sh(c.host)} -p ${c.port} -i ${sh(c.name)} -u ${sh(c.name)} -P ${sh(c.password)} \\
  -q 1 -t ${sh(c.topic)} -m 21.5
`,
    },
    {
      id: 'python',
      label: 'Python (paho-mqtt)',
      code: `# paho-mqtt 1.x or 2.x: pip install paho-mqtt (Debian: python3-paho-mqtt)
import paho.mqtt.client as mqtt

try:  # paho-mqtt 2.x
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=${lit(c.name)})
except AttributeError:  # paho-mqtt 1.x
    client = mqtt.Client(client_id=${lit(c.name)})
client.username_pw_set(${lit(c.name)}, ${lit(c.password)})
client.connect(${lit(c.host)}, ${c.port})
client.loop_start()
info = client.publish(${lit(c.topic)}, "21.5", qos=1)
info.wait_for_publish()
client.loop_stop()
client.disconnect()
`,
    },
  ];
}
