import { describe, expect, it } from 'vitest';
import { canonicalQuery, EMPTY_SHA256, sha256Hex, signV4, toAmzDate, uriEncode } from './sigv4.js';

/**
 * The expected values are AWS's own: the Signature Version 4 test suite (get-vanilla,
 * get-vanilla-query-order-key-case) and the worked examples of the S3 API reference ("Examples: Signature
 * Calculations in AWS Signature Version 4": GET object with Range, PUT object, list objects). The
 * credentials are the documentation's example credentials.
 */

const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  amzDate: '20150830T123600Z',
};

const S3_DOCS = {
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  region: 'us-east-1',
  service: 's3',
  amzDate: '20130524T000000Z',
  host: 'examplebucket.s3.amazonaws.com',
};

describe('SigV4: AWS Signature Version 4 test suite', () => {
  it('get-vanilla', () => {
    const r = signV4(
      {
        method: 'GET',
        path: '/',
        headers: { Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE.amzDate },
        payloadHash: EMPTY_SHA256,
        region: SUITE.region,
        service: SUITE.service,
        amzDate: SUITE.amzDate,
      },
      SUITE.credentials,
    );
    expect(r.canonicalRequest).toBe(
      [
        'GET',
        '/',
        '',
        'host:example.amazonaws.com',
        'x-amz-date:20150830T123600Z',
        '',
        'host;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    expect(r.stringToSign).toBe(
      [
        'AWS4-HMAC-SHA256',
        '20150830T123600Z',
        '20150830/us-east-1/service/aws4_request',
        'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
      ].join('\n'),
    );
    expect(r.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('get-vanilla-query-order-key-case: parameters are sorted before signing', () => {
    const r = signV4(
      {
        method: 'GET',
        path: '/',
        query: [
          ['Param2', 'value2'],
          ['Param1', 'value1'],
        ],
        headers: { host: 'example.amazonaws.com', 'x-amz-date': SUITE.amzDate },
        payloadHash: EMPTY_SHA256,
        region: SUITE.region,
        service: SUITE.service,
        amzDate: SUITE.amzDate,
      },
      SUITE.credentials,
    );
    expect(r.signature).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });
});

describe('SigV4: the S3 API reference examples', () => {
  it('GET object with a Range header', () => {
    const r = signV4(
      {
        method: 'GET',
        path: '/test.txt',
        headers: {
          Host: S3_DOCS.host,
          Range: 'bytes=0-9',
          'x-amz-content-sha256': EMPTY_SHA256,
          'x-amz-date': S3_DOCS.amzDate,
        },
        payloadHash: EMPTY_SHA256,
        region: S3_DOCS.region,
        service: S3_DOCS.service,
        amzDate: S3_DOCS.amzDate,
      },
      S3_DOCS.credentials,
    );
    expect(r.stringToSign.split('\n')[3]).toBe(
      '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    expect(r.signedHeaders).toBe('host;range;x-amz-content-sha256;x-amz-date');
    expect(r.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('PUT object: a key that needs encoding and a signed body', () => {
    const body = 'Welcome to Amazon S3.';
    const payloadHash = sha256Hex(body);
    expect(payloadHash).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const r = signV4(
      {
        method: 'PUT',
        path: `/${uriEncode('test$file.text', false)}`,
        headers: {
          Date: 'Fri, 24 May 2013 00:00:00 GMT',
          Host: S3_DOCS.host,
          'x-amz-date': S3_DOCS.amzDate,
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          'x-amz-content-sha256': payloadHash,
        },
        payloadHash,
        region: S3_DOCS.region,
        service: S3_DOCS.service,
        amzDate: S3_DOCS.amzDate,
      },
      S3_DOCS.credentials,
    );
    expect(r.canonicalRequest.split('\n')[1]).toBe('/test%24file.text');
    expect(r.stringToSign.split('\n')[3]).toBe(
      '9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d',
    );
    expect(r.signature).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('GET bucket (list objects) with query parameters', () => {
    const r = signV4(
      {
        method: 'GET',
        path: '/',
        query: [
          ['max-keys', '2'],
          ['prefix', 'J'],
        ],
        headers: { host: S3_DOCS.host, 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': S3_DOCS.amzDate },
        payloadHash: EMPTY_SHA256,
        region: S3_DOCS.region,
        service: S3_DOCS.service,
        amzDate: S3_DOCS.amzDate,
      },
      S3_DOCS.credentials,
    );
    expect(r.signature).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });
});

describe('SigV4 helpers', () => {
  it('encodes like AWS UriEncode, not like encodeURIComponent', () => {
    expect(uriEncode("a!b'c(d)e*f", true)).toBe('a%21b%27c%28d%29e%2Af');
    expect(uriEncode('a b+c/d~e', true)).toBe('a%20b%2Bc%2Fd~e');
    expect(uriEncode('a/b', false)).toBe('a/b');
    expect(uriEncode('ключ', false)).toBe('%D0%BA%D0%BB%D1%8E%D1%87');
    expect(uriEncode('k=v,w', false)).toBe('k%3Dv%2Cw');
  });

  it('sorts query parameters by encoded name, then value', () => {
    expect(
      canonicalQuery([
        ['b', '2'],
        ['a', 'x y'],
        ['A', '0'],
        ['a', 'w'],
      ]),
    ).toBe('A=0&a=w&a=x%20y&b=2');
  });

  it('formats x-amz-date without separators or milliseconds', () => {
    expect(toAmzDate(new Date('2013-05-24T00:00:00.123Z'))).toBe('20130524T000000Z');
  });

  it('trims header values and folds inner whitespace', () => {
    const base = {
      method: 'GET',
      path: '/',
      payloadHash: EMPTY_SHA256,
      region: 'r',
      service: 's3',
      amzDate: '20240101T000000Z',
    };
    const creds = { accessKeyId: 'k', secretAccessKey: 's' };
    const a = signV4({ ...base, headers: { host: 'h', 'x-a': '  one   two ' } }, creds);
    const b = signV4({ ...base, headers: { HOST: 'h', 'X-A': 'one two' } }, creds);
    expect(a.signature).toBe(b.signature);
    expect(a.canonicalRequest).toContain('\nx-a:one two\n');
  });
});
