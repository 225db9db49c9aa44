/** Longest topic MQTT can carry: a UTF-8 string with a 16-bit length prefix [MQTT-1.5.3]. */
const MAX_TOPIC_BYTES = 65_535;

/**
 * Why `topic` cannot be published to, or undefined when it can. The same rules as POST /api/v1/publish:
 * at least one character [MQTT-4.7.3-1], no wildcards in a topic name [MQTT-4.7.1-1], no U+0000
 * [MQTT-4.7.3-2], and no leading `$`, which is the broker's ($SYS).
 */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'the topic is empty';
  if (/[+#]/.test(topic)) return `"${topic}" holds a wildcard (+ or #), which a published topic cannot`;
  if (topic.includes('\u0000')) return `"${topic.replace(/\0/g, '\\0')}" holds U+0000`;
  if (topic.startsWith('$')) return `"${topic}" starts with $, which is reserved for the broker`;
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) {
    return `the topic is longer than ${MAX_TOPIC_BYTES} bytes`;
  }
  return undefined;
}
