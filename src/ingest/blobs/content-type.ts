import { isUtf8 } from 'node:buffer';

export const OCTET_STREAM = 'application/octet-stream';
export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * File extension per media type (type/subtype, lower case, no parameters). The filesystem store keeps no
 * metadata beside a blob, so this table is also how it answers a blob's type: a type not listed here is
 * stored as `.bin` and served as application/octet-stream.
 */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
  'image/avif': 'avif',
  'application/pdf': 'pdf',
  'application/json': 'json',
  'application/cbor': 'cbor',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'audio/wav': 'wav',
  'audio/ogg': 'ogg',
  'video/mp4': 'mp4',
  'application/octet-stream': 'bin',
};

const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(EXTENSIONS).map(([type, ext]) => [ext, type === 'text/plain' ? TEXT_TYPE : type]),
);

/** Media types a browser may show inline from the blob route; everything else is served as a download. */
const INLINE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/avif',
  'application/pdf',
  'application/json',
  'text/plain',
  'text/csv',
]);

/** `type/subtype` in lower case, without parameters. */
export function essenceOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** The extension a blob of this type is stored under: `png`, `jpg`, …, `bin` for types not in the table. */
export function extensionFor(contentType: string): string {
  return EXTENSIONS[essenceOf(contentType)] ?? 'bin';
}

/** The media type a stored extension stands for (undefined for an unknown extension). */
export function contentTypeForExtension(ext: string): string | undefined {
  return TYPES_BY_EXTENSION[ext.toLowerCase()];
}

export function isInlineType(contentType: string): boolean {
  return INLINE_TYPES.has(essenceOf(contentType));
}

// RFC 9110 §8.3.1: type "/" subtype *( OWS ";" OWS parameter ); tokens only, so nothing that could break
// out of a header value (CR, LF, quotes in odd places) gets through from an MQTT 5 property.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*$`,
);
const MAX_CONTENT_TYPE_LENGTH = 255;

/** A well-formed media type, with type and subtype lower-cased; undefined when `text` is not one. */
export function normalizeContentType(text: string): string | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > MAX_CONTENT_TYPE_LENGTH || !MEDIA_TYPE.test(t)) return undefined;
  const semi = t.indexOf(';');
  return semi < 0 ? t.toLowerCase() : `${t.slice(0, semi).trim().toLowerCase()}${t.slice(semi)}`;
}

function startsWith(data: Buffer, bytes: readonly number[], at = 0): boolean {
  if (data.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[at + i] !== bytes[i]) return false;
  return true;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii('GIF87a');
const GIF89 = ascii('GIF89a');
const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');
const PDF = ascii('%PDF-');
/** BITMAPCOREHEADER, BITMAPINFOHEADER and its successors (V2 … V5): the sizes a DIB header can have. */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
/** Above this, a payload that looks like JSON is taken as JSON without parsing it all. */
const JSON_PARSE_LIMIT = 1024 * 1024;

/**
 * "BM" alone starts plenty of text; a real bitmap also has zero reserved bytes and a known DIB header size.
 */
function isBmp(data: Buffer): boolean {
  return (
    data.length >= 26 &&
    data[0] === 0x42 &&
    data[1] === 0x4d &&
    data.readUInt32LE(6) === 0 &&
    BMP_DIB_SIZES.has(data.readUInt32LE(14))
  );
}

/** UTF-8 with no control characters but tab, line feed, form feed and carriage return. */
function isText(data: Buffer): boolean {
  if (!isUtf8(data)) return false;
  for (let i = 0; i < data.length; i++) {
    const b = data[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f) return false;
  }
  return true;
}

function firstNonSpace(data: Buffer): number | undefined {
  for (let i = 0; i < data.length; i++) {
    const b = data[i] as number;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
}

function lastNonSpace(data: Buffer): number | undefined {
  for (let i = data.length - 1; i >= 0; i--) {
    const b = data[i] as number;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
}

function isJson(data: Buffer): boolean {
  const first = firstNonSpace(data);
  const last = lastNonSpace(data);
  const bracketed = (first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d);
  if (!bracketed) return false;
  if (data.length > JSON_PARSE_LIMIT) return true;
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** The media type of a payload from its first bytes; application/octet-stream when nothing matches. */
export function sniffContentType(data: Buffer): string {
  if (startsWith(data, PNG)) return 'image/png';
  if (startsWith(data, JPEG)) return 'image/jpeg';
  if (startsWith(data, GIF87) || startsWith(data, GIF89)) return 'image/gif';
  if (startsWith(data, RIFF) && startsWith(data, WEBP, 8)) return 'image/webp';
  if (startsWith(data, PDF)) return 'application/pdf';
  if (isBmp(data)) return 'image/bmp';
  if (data.length === 0 || !isText(data)) return OCTET_STREAM;
  return isJson(data) ? JSON_TYPE : TEXT_TYPE;
}

/**
 * The type a blob is stored with: the publisher's explicit type (the MQTT 5 content-type property) when it
 * is a well-formed media type, else what the bytes say. An explicit application/octet-stream says nothing
 * (many clients send it for any binary), so the bytes are asked then too.
 */
export function resolveContentType(data: Buffer, explicit?: string): string {
  const given = explicit === undefined ? undefined : normalizeContentType(explicit);
  if (given !== undefined && essenceOf(given) !== OCTET_STREAM) return given;
  return sniffContentType(data);
}
