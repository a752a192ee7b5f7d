import { describe, expect, it } from 'vitest';
import { dtypeFromOnnx, dtypeFromOrt, dtypeFromTensorRT, dtypeInfo, DTYPES } from '../../lib/dtype.js';
import { ErrorCode, TensorRTNodeError } from '../../lib/errors.js';
import { Tensor, elementCount } from '../../lib/tensor.js';

describe('Tensor', () => {
  it("wraps the caller's TypedArray without copying, byteOffset included", () => {
    const backing = new Float32Array(10);
    const view = new Float32Array(backing.buffer, 8, 6);
    const tensor = new Tensor('float32', view, [2, 3]);
    expect(tensor.data).toBe(view);
    tensor.data[0] = 42;
    expect(backing[2]).toBe(42);
    expect(tensor.byteLength).toBe(24);
    expect(tensor.location).toBe('cpu');
  });

  it('infers dtypes from TypedArrays in Tensor.from', () => {
    expect(Tensor.from(new Float32Array(2)).dtype).toBe('float32');
    expect(Tensor.from(new Uint16Array(2)).dtype).toBe('float16');
    expect(Tensor.from(new BigInt64Array(2)).dtype).toBe('int64');
    expect(Tensor.from(new Uint8Array(6), [2, 3]).dims).toEqual([2, 3]);
  });

  it('reshape shares memory; dims are frozen', () => {
    const tensor = Tensor.zeros('int32', [2, 3]);
    const flat = tensor.reshape([6]);
    expect(flat.data).toBe(tensor.data);
    expect(Object.isFrozen(tensor.dims)).toBe(true);
    expect(() => tensor.reshape([4])).toThrow(/Expected 4 elements/);
  });

  it('scalars and empty tensors', () => {
    expect(new Tensor('int64', BigInt64Array.of(1n), []).size).toBe(1);
    expect(new Tensor('float32', new Float32Array(0), [0, 3]).size).toBe(0);
    expect(elementCount([])).toBe(1);
    expect(String(Tensor.zeros('float16', [1, 2]))).toBe('Tensor<float16>[1, 2]');
  });
});

describe('Tensor for onnxruntime-node users', () => {
  it('type is the dtype', () => {
    expect(new Tensor('int64', new BigInt64Array(1)).type).toBe('int64');
    expect(Tensor.from(new Uint16Array(1)).type).toBe('float16');
  });

  it('as() narrows a tensor to its own dtype and refuses another', () => {
    const tensor: Tensor = Tensor.from(new Float32Array([1, 2]));
    const narrowed: Tensor<'float32'> = tensor.as('float32');
    expect(narrowed).toBe(tensor);
    const data: Float32Array = narrowed.data;
    expect(data[1]).toBe(2);
    let error: unknown;
    try {
      tensor.as('int32');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TensorRTNodeError);
    expect((error as TensorRTNodeError).code).toBe(ErrorCode.DTYPE_MISMATCH);
    expect((error as TensorRTNodeError).message).toBe('Expected a int32 tensor for as() but received a float32 tensor');
  });
});

describe('dtype table', () => {
  it('maps each dtype both ways for ONNX and ONNX Runtime', () => {
    for (const dtype of DTYPES) {
      const info = dtypeInfo(dtype);
      expect(dtypeFromOnnx(info.onnx)).toBe(dtype);
      expect(dtypeFromOrt(info.ort)).toBe(dtype);
      if (info.tensorrt) expect(dtypeFromTensorRT(info.tensorrt)).toBe(dtype);
      expect(new info.arrayType(1).BYTES_PER_ELEMENT).toBe(info.bytesPerElement);
    }
    expect(dtypeFromOnnx(1)).toBe('float32');
    expect(dtypeFromOnnx(10)).toBe('float16');
    expect(dtypeFromTensorRT('kHALF')).toBe('float16');
    expect(dtypeFromOnnx(999)).toBeUndefined();
  });
});
