/**
 * A protobuf text-format reader for tests: it parses what a config.pbtxt says into a tree, with no
 * schema, so tests check the structure Triton would read rather than substrings. It takes the
 * grammar protobuf's own parser takes for the parts used in model configs: `field: value`,
 * `field { ... }` and `field: { ... }`, list values `field: [a, b]` / `field [ {..}, {..} ]`,
 * repeated fields by repetition, optional `,`/`;` separators, `#` comments, quoted strings with
 * escapes (adjacent strings concatenate), numbers, and identifiers (enum values, true/false).
 */

export type PbValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'identifier'; readonly name: string }
  | { readonly kind: 'message'; readonly message: PbMessage };

/** Field name -> every value given for it, in order (a repeated field has several). */
export type PbMessage = ReadonlyMap<string, readonly PbValue[]>;

type Token =
  { type: 'punct'; text: string; at: number } | { type: 'string'; value: string; at: number } | { type: 'word'; text: string; at: number };

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  "'": "'",
  '\\': '\\',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '?': '?',
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if ('{}[]:,;<>'.includes(c)) {
      tokens.push({ type: 'punct', text: c, at: i });
      i++;
    } else if (c === '"' || c === "'") {
      const at = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length || text[i] === '\n') throw new SyntaxError(`unterminated string at ${at}`);
        const d = text[i] as string;
        if (d === c) break;
        if (d === '\\') {
          const e = text[i + 1] as string;
          if (/[0-7]/.test(e)) {
            const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1))?.[0] as string;
            value += String.fromCharCode(parseInt(octal, 8));
            i += 1 + octal.length;
          } else if (e === 'x') {
            const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2))?.[0];
            if (hex === undefined) throw new SyntaxError(`bad \\x escape at ${i}`);
            value += String.fromCharCode(parseInt(hex, 16));
            i += 2 + hex.length;
          } else if (e in ESCAPES) {
            value += ESCAPES[e];
            i += 2;
          } else {
            throw new SyntaxError(`unknown escape \\${e} at ${i}`);
          }
        } else {
          value += d;
          i++;
        }
      }
      i++;
      tokens.push({ type: 'string', value, at });
    } else if (/[A-Za-z0-9_.+-]/.test(c)) {
      const at = i;
      while (i < text.length && /[A-Za-z0-9_.+-]/.test(text[i] as string)) i++;
      tokens.push({ type: 'word', text: text.slice(at, i), at });
    } else {
      throw new SyntaxError(`unexpected ${JSON.stringify(c)} at ${i}`);
    }
  }
  return tokens;
}

const NUMBER = /^[-+]?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?[fF]?|inf|nan)$/i;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Parser {
  #pos = 0;
  constructor(readonly tokens: Token[]) {}

  #peek(): Token | undefined {
    return this.tokens[this.#pos];
  }

  #isPunct(text: string): boolean {
    const token = this.#peek();
    return token?.type === 'punct' && token.text === text;
  }

  #expect(text: string): void {
    if (!this.#isPunct(text)) throw new SyntaxError(`expected '${text}' at ${this.#where()}`);
    this.#pos++;
  }

  #where(): string {
    const token = this.#peek();
    return token === undefined ? 'the end' : `offset ${token.at} (${token.type === 'string' ? JSON.stringify(token.value) : token.text})`;
  }

  message(closing: string | undefined): PbMessage {
    const fields = new Map<string, PbValue[]>();
    for (;;) {
      if (closing === undefined ? this.#peek() === undefined : this.#isPunct(closing)) break;
      const name = this.#peek();
      if (name?.type !== 'word' || !IDENTIFIER.test(name.text)) throw new SyntaxError(`expected a field name at ${this.#where()}`);
      this.#pos++;
      const colon = this.#isPunct(':');
      if (colon) this.#pos++;
      const values = fields.get(name.text) ?? [];
      if (this.#isPunct('[')) {
        this.#pos++;
        while (!this.#isPunct(']')) {
          values.push(this.#value(colon));
          if (this.#isPunct(',')) this.#pos++;
          else if (!this.#isPunct(']')) throw new SyntaxError(`expected ',' or ']' at ${this.#where()}`);
        }
        this.#pos++;
      } else {
        values.push(this.#value(colon));
      }
      fields.set(name.text, values);
      if (this.#isPunct(',') || this.#isPunct(';')) this.#pos++;
    }
    return fields;
  }

  #value(colon: boolean): PbValue {
    if (this.#isPunct('{') || this.#isPunct('<')) {
      const close = this.#isPunct('{') ? '}' : '>';
      this.#pos++;
      const message = this.message(close);
      this.#expect(close);
      return { kind: 'message', message };
    }
    if (!colon) throw new SyntaxError(`expected ':' before a scalar value at ${this.#where()}`);
    const token = this.#peek();
    if (token?.type === 'string') {
      let value = '';
      while (this.#peek()?.type === 'string') value += (this.tokens[this.#pos++] as { value: string }).value;
      return { kind: 'string', value };
    }
    if (token?.type === 'word') {
      this.#pos++;
      if (NUMBER.test(token.text)) return { kind: 'number', text: token.text };
      if (IDENTIFIER.test(token.text)) return { kind: 'identifier', name: token.text };
      if (token.text.startsWith('-') && IDENTIFIER.test(token.text.slice(1))) return { kind: 'identifier', name: token.text };
    }
    throw new SyntaxError(`expected a value at ${this.#where()}`);
  }
}

export function parsePbtxt(text: string): PbMessage {
  return new Parser(tokenize(text)).message(undefined);
}

/** The one value of a singular field; throws when it is absent or given more than once. */
export function one(message: PbMessage, field: string): PbValue {
  const values = message.get(field) ?? [];
  if (values.length !== 1) throw new Error(`expected one value for ${field}, found ${values.length}`);
  return values[0] as PbValue;
}

export function str(message: PbMessage, field: string): string {
  const value = one(message, field);
  if (value.kind !== 'string') throw new Error(`expected a string for ${field}, found ${value.kind}`);
  return value.value;
}

export function num(message: PbMessage, field: string): number {
  const value = one(message, field);
  if (value.kind !== 'number') throw new Error(`expected a number for ${field}, found ${value.kind}`);
  return Number(value.text);
}

export function ident(message: PbMessage, field: string): string {
  const value = one(message, field);
  if (value.kind !== 'identifier') throw new Error(`expected an identifier (enum value) for ${field}, found ${value.kind}`);
  return value.name;
}

export function msg(message: PbMessage, field: string): PbMessage {
  const value = one(message, field);
  if (value.kind !== 'message') throw new Error(`expected a message for ${field}, found ${value.kind}`);
  return value.message;
}

/** Every value of a repeated message field. */
export function msgs(message: PbMessage, field: string): PbMessage[] {
  return (message.get(field) ?? []).map((value) => {
    if (value.kind !== 'message') throw new Error(`expected messages for ${field}, found ${value.kind}`);
    return value.message;
  });
}

/** Every value of a repeated number field ([] when absent). */
export function nums(message: PbMessage, field: string): number[] {
  return (message.get(field) ?? []).map((value) => {
    if (value.kind !== 'number') throw new Error(`expected numbers for ${field}, found ${value.kind}`);
    return Number(value.text);
  });
}

/** A map<string, string> field, written as repeated { key value } entries. */
export function stringMap(message: PbMessage, field: string): Record<string, string> {
  return Object.fromEntries(msgs(message, field).map((entry) => [str(entry, 'key'), str(entry, 'value')]));
}
