import { create } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { makeTensor, readTensor, setTensorData } from '../../../lib/onnx/tensor-data.js';
import { DataType, TensorProtoSchema } from '../../../lib/onnx/types.js';
import { isTensorRTNodeError } from '../../../lib/errors.js';

describe('tensor data', () => {
  test('raw_data round trip for each TypedArray type', () => {
    const cases = [
      ['float32', new Float32Array([1.5, -2, 3])],
      ['float16', new Uint16Array([0x3c00, 0xc000])],
      ['int8', new Int8Array([-128, 127])],
      ['uint8', new Uint8Array([0, 255])],
      ['int32', new Int32Array([-5, 7])],
      ['int64', new BigInt64Array([-9007199254740993n, 1n])],
      ['float64', new Float64Array([Math.PI])],
      ['bool', new Uint8Array([1, 0, 1])],
    ] as const;
    for (const [dtype, data] of cases) {
      const tensor = makeTensor('t', dtype, [data.length], data);
      const value = readTensor(tensor);
      expect(value.dtype).toBe(dtype);
      expect(value.dims).toEqual([data.length]);
      expect(value.data).toEqual(data);
      expect(value.data.buffer).not.toBe(data.buffer);
    }
  });

  test('raw_data at an odd byte offset is copied to an aligned array', () => {
    const bytes = new Uint8Array(9);
    bytes.set(new Uint8Array(new Float32Array([1, 2]).buffer), 1);
    const tensor = create(TensorProtoSchema, { name: 'odd', dims: [2n], dataType: DataType.FLOAT, rawData: bytes.subarray(1) });
    expect(readTensor(tensor).data).toEqual(new Float32Array([1, 2]));
  });

  test('typed fields', () => {
    expect(readTensor(create(TensorProtoSchema, { dims: [2n], dataType: DataType.FLOAT, floatData: [1, 2] })).data).toEqual(
      new Float32Array([1, 2]),
    );
    expect(readTensor(create(TensorProtoSchema, { dims: [2n], dataType: DataType.INT64, int64Data: [3n, -4n] })).data).toEqual(
      new BigInt64Array([3n, -4n]),
    );
    expect(readTensor(create(TensorProtoSchema, { dims: [1n], dataType: DataType.FLOAT16, int32Data: [0x3c00] })).data).toEqual(
      new Uint16Array([0x3c00]),
    );
    expect(readTensor(create(TensorProtoSchema, { dims: [2n], dataType: DataType.INT8, int32Data: [-1, 5] })).data).toEqual(
      new Int8Array([-1, 5]),
    );
    expect(readTensor(create(TensorProtoSchema, { dims: [1n], dataType: DataType.DOUBLE, doubleData: [0.25] })).data).toEqual(
      new Float64Array([0.25]),
    );
    expect(readTensor(create(TensorProtoSchema, { dims: [], dataType: DataType.FLOAT, floatData: [7] })).data).toEqual(
      new Float32Array([7]),
    );
  });

  test('wrong element counts and unsupported types are errors', () => {
    expect(() => readTensor(create(TensorProtoSchema, { name: 'short', dims: [3n], dataType: DataType.FLOAT, floatData: [1] }))).toThrow(
      /Expected 3 elements for tensor "short"/,
    );
    expect(() =>
      readTensor(create(TensorProtoSchema, { name: 'raw', dims: [3n], dataType: DataType.FLOAT, rawData: new Uint8Array(8) })),
    ).toThrow(/Expected 12 bytes/);
    try {
      readTensor(create(TensorProtoSchema, { name: 's', dims: [1n], dataType: DataType.STRING }));
      expect.unreachable();
    } catch (error) {
      expect(isTensorRTNodeError(error, 'ERR_UNSUPPORTED')).toBe(true);
    }
  });

  test('setTensorData replaces typed fields with raw_data and keeps the name', () => {
    const tensor = create(TensorProtoSchema, { name: 'w', dims: [2n], dataType: DataType.FLOAT, floatData: [1, 2], docString: 'kept' });
    setTensorData(tensor, 'float16', [2], new Uint16Array([0x3c00, 0x4000]));
    expect(tensor.floatData).toEqual([]);
    expect(tensor.dataType).toBe(DataType.FLOAT16);
    expect(tensor.docString).toBe('kept');
    expect(readTensor(tensor).data).toEqual(new Uint16Array([0x3c00, 0x4000]));
  });
});
