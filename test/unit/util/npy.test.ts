import { describe, expect, test } from 'vitest';
import { Tensor } from '../../../lib/tensor.js';
import { parseNpy, serializeNpy } from '../../../lib/util/npy.js';

describe('.npy', () => {
  test('round trip keeps dtype, dims and data, header padded to 64 bytes', () => {
    for (const tensor of [
      new Tensor('float32', new Float32Array([1.5, -2, 3, 4, 5, 6]), [2, 3]),
      new Tensor('int64', new BigInt64Array([1n, -2n]), [2]),
      new Tensor('uint8', new Uint8Array([7]), []),
    ]) {
      const bytes = serializeNpy(tensor);
      const dataStart = bytes.byteLength - tensor.data.byteLength;
      expect(dataStart % 64).toBe(0);
      // parse from a Buffer at an odd offset, as readFile may hand out pooled memory
      const pooled = Buffer.concat([Buffer.from([1]), Buffer.from(bytes)]).subarray(1);
      const back = parseNpy(pooled);
      expect(back.dtype).toBe(tensor.dtype);
      expect(back.dims).toEqual(tensor.dims);
      expect(back.data).toEqual(tensor.data);
    }
  });

  test('reads a file NumPy wrote (version 1.0 header, float32 (2, 2))', () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    const padded = header + ' '.repeat(128 - 10 - header.length - 1) + '\n';
    const bytes = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, padded.length, 0]), Buffer.from(padded, 'latin1'), Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)]);
    const tensor = parseNpy(bytes);
    expect(tensor.dims).toEqual([2, 2]);
    expect(Array.from(tensor.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  test('rejects what it cannot read', () => {
    expect(() => parseNpy(new Uint8Array(20), 'a.npy')).toThrow(/Expected a NumPy .npy array for a.npy but it does not start with the .npy magic/);
    const fortran = serializeNpy(new Tensor('float32', new Float32Array(4), [2, 2]));
    const text = Buffer.from(fortran).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
    expect(() => parseNpy(Buffer.from(text, 'latin1'))).toThrow(/Fortran order/);
    const bigEndian = Buffer.from(Buffer.from(fortran).toString('latin1').replace('<f4', '>f4'), 'latin1');
    expect(() => parseNpy(bigEndian)).toThrow(/element type >f4 is not supported/);
  });
});
