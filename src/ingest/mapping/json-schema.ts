import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';

// ajv and ajv-formats are CommonJS with `exports.default`; createRequire sidesteps ESM interop quirks.
const require = createRequire(import.meta.url);
const Ajv07 = require('ajv').default as typeof import('ajv').default;
const Ajv2019 = require('ajv/dist/2019').default as typeof import('ajv').default;
const Ajv2020 = require('ajv/dist/2020').default as typeof import('ajv').default;
const addFormats = require('ajv-formats').default as (ajv: InstanceType<typeof Ajv07>) => void;

export type PayloadValidator = (doc: unknown) => string | undefined;

const MAX_LISTED = 5;

/**
 * Compiles a JSON Schema (inline, or a file path relative to `baseDir`) into a check that returns
 * undefined for a valid document, or every violation as `/pointer: message`. The draft follows `$schema`:
 * 2020-12 and 2019-09 by name, draft-07 (and -06, -04 compatible) otherwise. Formats (date-time, email, …)
 * are checked.
 */
export function compilePayloadSchema(
  schema: string | Record<string, unknown>,
  baseDir: string,
): PayloadValidator {
  let doc: Record<string, unknown>;
  let where = 'inline schema';
  if (typeof schema === 'string') {
    const file = isAbsolute(schema) ? schema : resolve(baseDir, schema);
    where = file;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read schema ${file}: ${(err as Error).message}`);
    }
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`schema ${file} is not JSON: ${(err as Error).message}`);
    }
  } else {
    doc = schema;
  }
  const draft = String(doc.$schema ?? '');
  const AjvClass = draft.includes('2020-12') ? Ajv2020 : draft.includes('2019-09') ? Ajv2019 : Ajv07;
  const ajv = new AjvClass({ allErrors: true, strict: false });
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(doc);
  } catch (err) {
    throw new Error(`${where} is not a valid JSON Schema: ${(err as Error).message}`);
  }
  return (value) => {
    if (validate(value)) return undefined;
    return formatErrors(validate.errors ?? []);
  };
}

function formatErrors(errors: readonly ErrorObject[]): string {
  const lines = errors.slice(0, MAX_LISTED).map((e) => {
    const at = e.instancePath || '(root)';
    const extra =
      e.keyword === 'additionalProperties'
        ? ` "${String((e.params as { additionalProperty?: string }).additionalProperty)}"`
        : e.keyword === 'enum'
          ? ` ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`
          : '';
    return `${at}: ${e.message ?? e.keyword}${extra}`;
  });
  const more = errors.length > MAX_LISTED ? `; and ${errors.length - MAX_LISTED} more` : '';
  return `${lines.join('; ')}${more}`;
}
