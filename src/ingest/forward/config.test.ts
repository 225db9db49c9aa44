import { describe, expect, it } from 'vitest';
import { forwardOutputSchema, forwardOutputsSchema, unknownOutputReferences } from './config.js';

function issues(input: unknown): string[] {
  const r = forwardOutputSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('forwardOutputSchema', () => {
  it('fills in the defaults', () => {
    expect(forwardOutputSchema.parse({ name: 'echo', url: 'https://api.example.com/ingest' })).toEqual({
      name: 'echo',
      url: 'https://api.example.com/ingest',
      format: 'json',
      method: 'POST',
      headers: {},
      batchMaxItems: 500,
      batchMaxWait: 1000,
      timeout: 10_000,
      retryFor: 86_400_000,
      backoffInitial: 1000,
      backoffMax: 300_000,
      queueMaxBytes: 64 * 1024 * 1024,
    });
  });

  it('reads durations and sizes as text, and auth from env or file', () => {
    const out = forwardOutputSchema.parse({
      name: 'influx-2',
      url: 'http://influx:8086/api/v2/write?org=o&bucket=b',
      format: 'line',
      method: 'PUT',
      headers: { 'X-Source': 'sensorhub' },
      auth: { bearer: { tokenFile: '/run/secrets/influx', scheme: 'Token' } },
      batchMaxItems: '1000',
      batchMaxWait: '250ms',
      timeout: '5s',
      retryFor: '2h',
      backoffInitial: '500ms',
      backoffMax: '1m',
      queueMaxBytes: '1GiB',
    });
    expect(out).toMatchObject({
      batchMaxItems: 1000,
      batchMaxWait: 250,
      timeout: 5000,
      retryFor: 7_200_000,
      backoffInitial: 500,
      backoffMax: 60_000,
      queueMaxBytes: 1024 ** 3,
      auth: { type: 'bearer', scheme: 'Token', token: { file: '/run/secrets/influx' } },
    });
    expect(
      forwardOutputSchema.parse({
        name: 'b',
        url: 'http://x/',
        auth: { basic: { username: 'echopub', passwordEnv: 'ECHO_PASSWORD' } },
      }).auth,
    ).toEqual({ type: 'basic', username: 'echopub', password: { env: 'ECHO_PASSWORD' } });
  });

  it('refuses secrets written inline, with the way to do it instead', () => {
    expect(
      issues({ name: 'a', url: 'http://x/', auth: { basic: { username: 'u', password: 'hunter2' } } }),
    ).toEqual(
      expect.arrayContaining([
        'auth.basic.password: secrets are never written inline; use passwordEnv or passwordFile',
      ]),
    );
    expect(issues({ name: 'a', url: 'http://x/', auth: { bearer: { token: 't' } } })).toContain(
      'auth.bearer.token: secrets are never written inline; use tokenEnv or tokenFile',
    );
    expect(issues({ name: 'a', url: 'https://user:pw@x/' })).toEqual([
      'url: credentials in the URL are not allowed; use auth.basic with passwordEnv or passwordFile',
    ]);
  });

  it('says what is wrong with each bad value', () => {
    expect(issues({ name: 'a', url: 'mqtt://broker:1883' })).toEqual([
      'url: the URL must be http:// or https://, not mqtt:',
    ]);
    expect(issues({ name: 'a', url: 'not a url' })).toEqual([
      'url: "not a url" is not a URL (e.g. https://api.example.com/ingest)',
    ]);
    expect(issues({ name: '../etc', url: 'http://x/' })[0]).toMatch(/^name: an output name is 1-64 letters/);
    expect(issues({ name: 'a', url: 'http://x/', format: 'xml' })[0]).toMatch(/^format: /);
    expect(issues({ name: 'a', url: 'http://x/', timeout: 'soon' })).toEqual([
      'timeout: "soon" is not a duration (e.g. 500ms, 10s, 5m)',
    ]);
    expect(issues({ name: 'a', url: 'http://x/', queueMaxBytes: 'lots' })).toEqual([
      'queueMaxBytes: "lots" is not a size (e.g. 256KiB, 1MB, 4096)',
    ]);
    expect(issues({ name: 'a', url: 'http://x/', backoffInitial: '10s', backoffMax: '1s' })).toEqual([
      'backoffMax: backoffMax must be at least backoffInitial',
    ]);
    expect(issues({ name: 'a', url: 'http://x/', auth: { basic: { username: 'u' } } })).toEqual([
      'auth.basic: set exactly one of passwordEnv and passwordFile',
    ]);
    expect(
      issues({ name: 'a', url: 'http://x/', auth: { bearer: { tokenEnv: 'A', tokenFile: '/f' } } }),
    ).toEqual(['auth.bearer: set exactly one of tokenEnv and tokenFile']);
    expect(issues({ name: 'a', url: 'http://x/', auth: {} })).toEqual([
      'auth: set exactly one of auth.basic and auth.bearer',
    ]);
    expect(
      issues({
        name: 'a',
        url: 'http://x/',
        headers: { Authorization: 'Bearer x' },
        auth: { bearer: { tokenEnv: 'T' } },
      }),
    ).toEqual([
      'headers: an Authorization header is a secret: use auth.basic or auth.bearer (from env or a file)',
    ]);
    expect(issues({ name: 'a', url: 'http://x/', headers: { 'X-A': 'a\r\nX-Evil: 1' } })).toEqual([
      'headers.X-A: a header value cannot contain line breaks',
    ]);
    expect(issues({ name: 'a', url: 'http://x/', headers: { 'X-A': 'price in €' } })).toEqual([
      'headers.X-A: a header value can only hold printable ASCII and Latin-1 characters',
    ]);
    expect(issues({ name: 'a', url: 'http://x/', extra: 1 })[0]).toMatch(/extra/);
  });
});

describe('forwardOutputsSchema', () => {
  it('refuses two outputs with one name', () => {
    const r = forwardOutputsSchema.safeParse([
      { name: 'a', url: 'http://x/' },
      { name: 'a', url: 'http://y/' },
    ]);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      '1.name: output name "a" is used twice',
    ]);
  });
});

describe('unknownOutputReferences', () => {
  it('lists each rule reference to an output that does not exist', () => {
    expect(
      unknownOutputReferences([{ forward: ['echo'] }, {}, { forward: ['echo', 'nope'] }], [{ name: 'echo' }]),
    ).toEqual([{ path: [2, 'forward', 1], message: 'no output named "nope"; outputs are: echo' }]);
    expect(unknownOutputReferences([{ forward: ['x'] }], [])).toEqual([
      { path: [0, 'forward', 0], message: 'no output named "x"; ingest.outputs is empty' },
    ]);
  });
});
