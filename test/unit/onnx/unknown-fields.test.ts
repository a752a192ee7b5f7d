import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, test } from 'vitest';
import { decodeModel, encodeModel } from '../../../lib/onnx/model-io.js';

/**
 * A model written field by field, with fields this schema does not know at three nesting levels and
 * an attribute type value newer than the schema; all of it must come back byte-identical.
 */
function handWrittenModel(): Uint8Array {
  const attribute = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .string('mode')
    .tag(3, WireType.Varint)
    .int64(7)
    .tag(20, WireType.Varint)
    .int32(99) // an AttributeType this schema has no name for
    .finish();
  const node = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .string('x')
    .tag(2, WireType.LengthDelimited)
    .string('y')
    .tag(3, WireType.LengthDelimited)
    .string('n0')
    .tag(4, WireType.LengthDelimited)
    .string('Identity')
    .tag(5, WireType.LengthDelimited)
    .bytes(attribute)
    .tag(50, WireType.LengthDelimited)
    .string('future node field')
    .finish();
  const tensor = new BinaryWriter()
    .tag(1, WireType.Varint)
    .int64(2)
    .tag(2, WireType.Varint)
    .int32(1)
    .tag(8, WireType.LengthDelimited)
    .string('w')
    .tag(9, WireType.LengthDelimited)
    .bytes(new Uint8Array([0, 0, 128, 63, 0, 0, 0, 64]))
    .tag(41, WireType.Bit64)
    .fixed64(0x1234567890n)
    .finish();
  const graph = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .bytes(node)
    .tag(2, WireType.LengthDelimited)
    .string('g')
    .tag(5, WireType.LengthDelimited)
    .bytes(tensor)
    .tag(40, WireType.Bit32)
    .fixed32(0xdeadbeef)
    .finish();
  const opset = new BinaryWriter().tag(1, WireType.LengthDelimited).string('').tag(2, WireType.Varint).int64(17).finish();
  return new BinaryWriter()
    .tag(1, WireType.Varint)
    .int64(8)
    .tag(7, WireType.LengthDelimited)
    .bytes(graph)
    .tag(8, WireType.LengthDelimited)
    .bytes(opset)
    .tag(99, WireType.LengthDelimited)
    .string('future model field')
    .finish();
}

describe('fields newer than the schema', () => {
  test('survive decode -> encode byte-identical', () => {
    const bytes = handWrittenModel();
    const model = decodeModel(bytes);
    expect(model.graph?.node[0].attribute[0].type).toBe(99);
    expect(model.$unknown?.map((field) => field.no)).toEqual([99]);
    expect(model.graph?.$unknown?.map((field) => field.no)).toEqual([40]);
    expect(model.graph?.node[0].$unknown?.map((field) => field.no)).toEqual([50]);
    expect(model.graph?.initializer[0].$unknown?.map((field) => field.no)).toEqual([41]);
    expect(Buffer.compare(Buffer.from(encodeModel(model)), Buffer.from(bytes))).toBe(0);
  });

  test('survive an edit of known fields', () => {
    const model = decodeModel(handWrittenModel());
    model.graph!.name = 'renamed';
    model.producerName = 'tensorrt-node';
    const again = decodeModel(encodeModel(model));
    expect(again.graph?.name).toBe('renamed');
    const text = (field: { data: Uint8Array } | undefined) => Buffer.from(field?.data ?? []).toString('latin1');
    expect(text(again.$unknown?.[0])).toContain('future model field');
    expect(text(again.graph?.node[0].$unknown?.[0])).toContain('future node field');
    expect(again.graph?.$unknown?.[0].data).toEqual(model.graph?.$unknown?.[0].data);
    expect(again.graph?.initializer[0].$unknown?.[0].data).toEqual(model.graph?.initializer[0].$unknown?.[0].data);
  });
});
