// The schema-driven text-format writer: what it writes reads back the same, and what the schema
// does not declare (a field, an enum value, an integer out of its wire type's range) is refused.
import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../lib/errors.js';
import { type TextFormatSchema, writeTextFormat } from '../../../lib/export/text-format.js';
import { rejection } from '../../shared/rejection.js';
import { ident, msg, msgs, num, nums, parsePbtxt, str, stringMap } from '../../shared/pbtxt.js';

const schema: TextFormatSchema = {
  messages: {
    Top: {
      title: { type: { scalar: 'string' } },
      small: { type: { scalar: 'int32' } },
      big: { type: { scalar: 'uint64' } },
      flag: { type: { scalar: 'bool' } },
      color: { type: { enum: 'Color' } },
      sizes: { type: { scalar: 'int64' }, repeated: true },
      item: { type: { message: 'Item' }, repeated: true },
      child: { type: { message: 'Item' } },
      tags: { type: { map: { key: 'string', value: 'string' } } },
    },
    Item: { label: { type: { scalar: 'string' } } },
  },
  enums: { Color: ['RED', 'BLUE'] },
};

function refused(value: unknown) {
  return rejection(Promise.resolve().then(() => writeTextFormat(schema, 'Top', value)));
}

describe('text-format writer', () => {
  it('writes what the reader gives back, strings escaped', () => {
    const title = 'quote " backslash \\ newline \n tab \t bell \x07 ünïcödé';
    const text = writeTextFormat(schema, 'Top', {
      title,
      small: -5,
      big: 2n ** 63n,
      flag: true,
      color: 'BLUE',
      sizes: [-1, 3],
      item: [{ label: 'a' }, { label: 'b' }],
      child: { label: 'c' },
      tags: { k: 'v', 'odd "key"': '' },
    });
    const top = parsePbtxt(text);
    expect(str(top, 'title')).toBe(title);
    expect(num(top, 'small')).toBe(-5);
    expect(one(top, 'big')).toBe('9223372036854775808');
    expect(ident(top, 'flag')).toBe('true');
    expect(ident(top, 'color')).toBe('BLUE');
    expect(nums(top, 'sizes')).toEqual([-1, 3]);
    expect(msgs(top, 'item').map((m) => str(m, 'label'))).toEqual(['a', 'b']);
    expect(str(msg(top, 'child'), 'label')).toBe('c');
    expect(stringMap(top, 'tags')).toEqual({ k: 'v', 'odd "key"': '' });
  });

  it('leaves out undefined fields and empty repeated fields', () => {
    expect(writeTextFormat(schema, 'Top', { title: 'x', sizes: [], item: [], small: undefined })).toBe('title: "x"\n');
  });

  it('refuses undeclared fields, enum values and wrong kinds of values', async () => {
    expect(await refused({ titel: 'x' })).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringMatching(/for Top\.titel but received "titel"/),
    });
    expect(await refused({ color: 'GREEN' })).toMatchObject({ message: 'Expected one of RED, BLUE for Top.color but received "GREEN"' });
    expect(await refused({ small: 2 ** 31 })).toMatchObject({
      message: expect.stringMatching(/^Expected an int32 .* for Top\.small but received 2147483648$/),
    });
    expect(await refused({ big: -1 })).toMatchObject({ message: expect.stringMatching(/for Top\.big but received -1$/) });
    expect(await refused({ small: 1.5 })).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(await refused({ title: 3 })).toMatchObject({ message: 'Expected a string for Top.title but received 3' });
    expect(await refused({ sizes: 3 })).toMatchObject({ message: 'Expected an array for Top.sizes but received 3' });
    expect(await refused({ item: [{ label: 'a', extra: 1 }] })).toMatchObject({
      message: expect.stringMatching(/for Top\.item\[0\]\.extra/),
    });
  });
});

function one(message: ReturnType<typeof parsePbtxt>, field: string): string {
  const value = message.get(field)?.[0];
  return value?.kind === 'number' ? value.text : '';
}
