/**
 * A protobuf text-format writer driven by a declared schema: it knows which fields are enums
 * (written bare), strings (quoted and escaped), integers (range-checked for their wire type),
 * nested messages, repeated fields (written as lists) and maps (written as repeated key/value
 * entries, which is how text format spells a map). A field the schema does not declare, or a value of
 * the wrong kind, is refused rather than written: the output must parse against the real schema.
 */
import { TensorRTNodeError, ErrorCode, describeValue } from '../errors.js';

export type ScalarType = 'string' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64';

export type FieldType =
  | { readonly scalar: ScalarType }
  | { readonly enum: string }
  | { readonly message: string }
  | { readonly map: { readonly key: 'string'; readonly value: 'string' } };

export interface FieldSpec {
  readonly type: FieldType;
  readonly repeated?: boolean;
}

export interface TextFormatSchema {
  /** Message name -> its fields in the order they are written. */
  readonly messages: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>>;
  /** Enum name -> the values this writer may emit. */
  readonly enums: Readonly<Record<string, readonly string[]>>;
}

const RANGES: Record<Exclude<ScalarType, 'string' | 'bool'>, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function refuse(what: string, path: string, value: unknown): TensorRTNodeError {
  return new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected ${what} for ${path} but received ${describeValue(value)}`);
}

/** Text format's string escapes: quotes, backslashes and control bytes; other UTF-8 stays as it is. */
export function quoteString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function scalarText(type: ScalarType, value: unknown, path: string): string {
  if (type === 'string') {
    if (typeof value !== 'string') throw refuse('a string', path, value);
    return quoteString(value);
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw refuse('a boolean', path, value);
    return String(value);
  }
  const integer = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
  const [min, max] = RANGES[type];
  if (integer === undefined || integer < min || integer > max) throw refuse(`an ${type} (${min} to ${max})`, path, value);
  return integer.toString();
}

class Writer {
  readonly #lines: string[] = [];
  constructor(readonly schema: TextFormatSchema) {}

  text(): string {
    return `${this.#lines.join('\n')}\n`;
  }

  #line(depth: number, text: string): void {
    this.#lines.push(`${'  '.repeat(depth)}${text}`);
  }

  #enumText(name: string, value: unknown, path: string): string {
    const allowed = this.schema.enums[name];
    if (allowed === undefined) throw new Error(`text-format schema: enum ${name} is not declared`);
    if (typeof value !== 'string' || !allowed.includes(value)) throw refuse(`one of ${allowed.join(', ')}`, path, value);
    return value;
  }

  message(type: string, value: unknown, depth: number, path: string): void {
    const fields = this.schema.messages[type];
    if (fields === undefined) throw new Error(`text-format schema: message ${type} is not declared`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse(`a ${type} message`, path, value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in fields) && record[key] !== undefined)
        throw refuse(`a field of ${type} (${Object.keys(fields).join(', ')})`, `${path}.${key}`, key);
    }
    for (const [name, spec] of Object.entries(fields)) {
      const field = record[name];
      if (field !== undefined) this.#field(name, spec, field, depth, `${path}.${name}`);
    }
  }

  #field(name: string, spec: FieldSpec, value: unknown, depth: number, path: string): void {
    const type = spec.type;
    if ('map' in type) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse('a map of strings', path, value);
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
        this.#line(depth, `${name} { key: ${scalarText('string', key, path)} value: ${scalarText('string', entry, `${path}[${key}]`)} }`);
      }
      return;
    }
    if (spec.repeated) {
      if (!Array.isArray(value)) throw refuse('an array', path, value);
      if (value.length === 0) return;
      if ('message' in type) {
        this.#line(depth, `${name} [`);
        value.forEach((item, i) => {
          this.#line(depth + 1, '{');
          this.message(type.message, item, depth + 2, `${path}[${i}]`);
          this.#line(depth + 1, i === value.length - 1 ? '}' : '},');
        });
        this.#line(depth, ']');
        return;
      }
      const items = value.map((item, i) => this.#scalarOrEnum(type, item, `${path}[${i}]`));
      this.#line(depth, `${name}: [ ${items.join(', ')} ]`);
      return;
    }
    if ('message' in type) {
      this.#line(depth, `${name} {`);
      this.message(type.message, value, depth + 1, path);
      this.#line(depth, '}');
      return;
    }
    this.#line(depth, `${name}: ${this.#scalarOrEnum(type, value, path)}`);
  }

  #scalarOrEnum(type: { scalar: ScalarType } | { enum: string } | { message: string }, value: unknown, path: string): string {
    if ('enum' in type) return this.#enumText(type.enum, value, path);
    if ('scalar' in type) return scalarText(type.scalar, value, path);
    throw new Error(`text-format schema: ${path} mixes a message into a scalar list`);
  }
}

/** `value` (a plain object with the schema's field names) as text format of message `type`. */
export function writeTextFormat(schema: TextFormatSchema, type: string, value: unknown): string {
  const writer = new Writer(schema);
  writer.message(type, value, 0, type);
  return writer.text();
}
