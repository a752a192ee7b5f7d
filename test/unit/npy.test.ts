import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DType, dtypeInfo } from '../../lib/dtype.js';
import { ErrorCode, TensorRTNodeError } from '../../lib/errors.js';
import { decodeNpy, encodeNpy, loadNpy, saveNpy } from '../../lib/npy.js';
import { Tensor } from '../../lib/tensor.js';

/** Builds .npy bytes by hand, so malformed files can be made on purpose. */
function npyBytes(header: string, data: Uint8Array = new Uint8Array(), version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const padded = header + ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(Buffer.from(padded, version === 3 ? 'utf8' : 'latin1'), prefix);
  out.set(data, prefix + padded.length);
  return out;
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function expectError(fn: () => unknown, code: ErrorCode, ...fragments: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TensorRTNodeError);
  const error = caught as TensorRTNodeError;
  expect(error.code).toBe(code);
  for (const fragment of fragments) expect(error.message).toMatch(fragment);
}

// Bytes written by NumPy 2.4.6 itself (np.save to a BytesIO, printed with .hex()), so encodeNpy is
// checked against the reference implementation rather than against itself.
const NUMPY_F4_2X2 =
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a' +
  '0000c03f000000c00000404000008840';
// np.save(np.array(7, dtype='<i8')): a 0-d array, no growth padding.
const I8_SCALAR_DICT = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }";
const NUMPY_I8_SCALAR = Buffer.concat([
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0]),
  Buffer.from(I8_SCALAR_DICT + ' '.repeat(0x76 - I8_SCALAR_DICT.length - 1) + '\n', 'latin1'),
  Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]),
]);

describe('encodeNpy', () => {
  it('writes the same bytes as np.save for a float32 matrix', () => {
    const tensor = new Tensor('float32', new Float32Array([1.5, -2, 3, 4.25]), [2, 2]);
    expect(Buffer.from(encodeNpy(tensor)).toString('hex')).toBe(NUMPY_F4_2X2);
  });

  it('writes the same bytes as np.save for a 0-d int64', () => {
    const tensor = new Tensor('int64', new BigInt64Array([7n]), []);
    expect(Buffer.from(encodeNpy(tensor))).toEqual(NUMPY_I8_SCALAR);
  });

  it('writes only the tensor’s own bytes when its data is a view into a larger buffer', () => {
    const backing = new Float32Array([9, 1.5, -2, 3, 4.25, 9]);
    const tensor = new Tensor('float32', backing.subarray(1, 5), [2, 2]);
    expect(Buffer.from(encodeNpy(tensor)).toString('hex')).toBe(NUMPY_F4_2X2);
  });

  it('refuses a dtype .npy cannot hold', () => {
    expectError(() => encodeNpy(new Tensor('bfloat16', new Uint16Array(2))), ErrorCode.UNSUPPORTED, /bfloat16/);
  });
});

describe('decodeNpy', () => {
  it('reads NumPy’s float32 matrix', () => {
    const tensor = decodeNpy(fromHex(NUMPY_F4_2X2));
    expect(tensor.dtype).toBe('float32');
    expect(tensor.dims).toEqual([2, 2]);
    expect([...tensor.data]).toEqual([1.5, -2, 3, 4.25]);
  });

  it('reads a 0-d array as a scalar tensor', () => {
    const tensor = decodeNpy(new Uint8Array(NUMPY_I8_SCALAR));
    expect(tensor.dims).toEqual([]);
    expect(tensor.data).toEqual(new BigInt64Array([7n]));
  });

  it('reads format versions 2.0 and 3.0 (NumPy’s own bytes for np.arange(3, dtype="<u2"))', () => {
    const dict = "{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }";
    const body = dict + ' '.repeat(0x74 - dict.length - 1) + '\n';
    for (const version of [2, 3]) {
      const bytes = Buffer.concat([
        Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0, 0x74, 0, 0, 0]),
        Buffer.from(body, 'latin1'),
        Buffer.from([0, 0, 1, 0, 2, 0]),
      ]);
      const tensor = decodeNpy(new Uint8Array(bytes));
      expect(tensor.dtype).toBe('uint16');
      expect([...tensor.data]).toEqual([0, 1, 2]);
    }
  });

  it('round-trips every supported dtype, keeping float16 as raw bits', () => {
    const cases: [DType, string][] = [
      ['float32', '<f4'],
      ['float16', '<f2'],
      ['float64', '<f8'],
      ['int8', '|i1'],
      ['uint8', '|u1'],
      ['int16', '<i2'],
      ['uint16', '<u2'],
      ['int32', '<i4'],
      ['uint32', '<u4'],
      ['int64', '<i8'],
      ['uint64', '<u8'],
      ['bool', '|b1'],
    ];
    for (const [dtype, descr] of cases) {
      const info = dtypeInfo(dtype);
      const raw = new Uint8Array(6 * info.bytesPerElement).map((_, i) => (dtype === 'bool' ? i % 2 : (i * 37 + 11) & 0xff));
      const tensor = new Tensor(dtype, new info.arrayType(raw.buffer, 0, 6) as Tensor['data'], [2, 3]);
      const bytes = encodeNpy(tensor);
      expect(Buffer.from(bytes).toString('latin1')).toContain(`'descr': '${descr}'`);
      const back = decodeNpy(bytes);
      expect(back.dtype).toBe(dtype);
      expect(back.dims).toEqual([2, 3]);
      expect(new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(raw);
    }
  });

  it('wraps aligned data without copying and copies unaligned data correctly', () => {
    const bytes = encodeNpy(new Tensor('float32', new Float32Array([1, 2, 3])));
    expect(decodeNpy(bytes).data.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const tensor = decodeNpy(shifted.subarray(1));
    expect([...tensor.data]).toEqual([1, 2, 3]);
  });

  it('accepts header spellings NumPy versions have used: double quotes, other key order, 1L dims, no trailing comma', () => {
    const data = new Uint8Array(new Int32Array([5, 6]).buffer);
    const tensor = decodeNpy(npyBytes('{"shape": (1L, 2L), "fortran_order": False, "descr": "<i4"}', data));
    expect(tensor.dims).toEqual([1, 2]);
    expect([...tensor.data]).toEqual([5, 6]);
  });

  it('accepts a Fortran-order flag on an array whose layout is the same in both orders', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    expect([...decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3), }", data)).data]).toEqual([1, 2, 3]);
  });

  it('refuses a Fortran-order matrix, naming the file and what was expected', () => {
    const data = new Uint8Array(24);
    expectError(
      () => decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data), 'inputs/x.npy'),
      ErrorCode.INVALID_ARGUMENT,
      'Expected a C-order (row-major) array',
      'for inputs/x.npy',
      'Fortran-order array of shape [2, 3]',
    );
  });

  it('refuses big-endian data with a hint', () => {
    expectError(
      () => decodeNpy(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), 'be.npy'),
      ErrorCode.INVALID_ARGUMENT,
      'Expected a little-endian dtype',
      'for be.npy',
      "received '>f4'",
    );
  });

  it('accepts any byte-order mark on single-byte types', () => {
    expect(decodeNpy(npyBytes("{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([3, 4]))).dtype).toBe('uint8');
  });

  it('refuses dtypes a Tensor cannot hold', () => {
    for (const descr of ['<c8', '<U3', '|O', '<M8[ns]', '|V4']) {
      expectError(
        () => decodeNpy(npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(16))),
        ErrorCode.INVALID_ARGUMENT,
        'Expected a supported dtype',
        `'${descr}'`,
      );
    }
    // A structured dtype is a list, not a string.
    expectError(
      () => decodeNpy(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4))),
      ErrorCode.INVALID_ARGUMENT,
      '.npy header dict',
    );
  });

  it('refuses truncated data and trailing bytes, saying how many bytes were expected', () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expectError(
      () => decodeNpy(npyBytes(header, new Uint8Array(20)), 'short.npy'),
      ErrorCode.INVALID_ARGUMENT,
      'Expected 24 bytes of data',
      'short.npy',
      'received 20 bytes (the file is truncated)',
    );
    expectError(
      () => decodeNpy(npyBytes(header, new Uint8Array(28))),
      ErrorCode.INVALID_ARGUMENT,
      'received 28 bytes (the file has trailing bytes)',
    );
  });

  it('refuses what is not a .npy file, or a version it does not know', () => {
    expectError(
      () => decodeNpy(new Uint8Array(Buffer.from('PK\x03\x04 this is a zip'))),
      ErrorCode.INVALID_ARGUMENT,
      'starting with the bytes \\x93NUMPY',
    );
    expectError(() => decodeNpy(new Uint8Array(3)), ErrorCode.INVALID_ARGUMENT, 'received 3 bytes');
    const v4 = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }");
    v4[6] = 4;
    expectError(() => decodeNpy(v4), ErrorCode.INVALID_ARGUMENT, 'version 1.0, 2.0 or 3.0', 'version 4.0');
  });

  it('refuses a header that runs past the end of the file', () => {
    const bytes = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
    expectError(() => decodeNpy(bytes.subarray(0, 40)), ErrorCode.INVALID_ARGUMENT, 'ends inside the header');
  });

  it('refuses malformed header dicts', () => {
    const bad = [
      "{'descr': '<f4', 'fortran_order': False}", // no shape
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", // not a boolean
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", // negative dim
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 'x'}", // unknown key
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", // repeated key
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) junk}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} trailing",
      "__import__('os').system('echo hi')", // never evaluated
      "{'descr: '<f4'",
    ];
    for (const header of bad) {
      expectError(
        () => decodeNpy(npyBytes(header, new Uint8Array(4)), 'bad.npy'),
        ErrorCode.INVALID_ARGUMENT,
        'Expected a .npy header dict',
        'for bad.npy',
      );
    }
  });
});

describe('loadNpy and saveNpy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npy-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads a file, leaving no temporary files behind', async () => {
    const path = join(dir, 'x.npy');
    const tensor = new Tensor('float32', new Float32Array([1.5, -2, 3, 4.25]), [2, 2]);
    await saveNpy(path, tensor);
    expect(Buffer.from(await readFile(path)).toString('hex')).toBe(NUMPY_F4_2X2);
    expect(await readdir(dir)).toEqual(['x.npy']);
    const loaded = await loadNpy(path);
    expect(loaded.dims).toEqual([2, 2]);
    expect([...loaded.data]).toEqual([1.5, -2, 3, 4.25]);
  });

  it('reports a missing file with ERR_IO and the path', async () => {
    const path = join(dir, 'missing.npy');
    await expect(loadNpy(path)).rejects.toMatchObject({
      code: ErrorCode.IO,
      message: `Expected a readable .npy file at ${path} but it does not exist`,
    });
  });

  it('names the file in errors about its contents', async () => {
    const path = join(dir, 'garbage.npy');
    await writeFile(path, 'not numpy at all');
    await expect(loadNpy(path)).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining(`for ${path}`),
    });
  });

  it('reports an unwritable path with ERR_IO and leaves nothing behind', async () => {
    const path = join(dir, 'no-such-dir', 'x.npy');
    await expect(saveNpy(path, new Tensor('uint8', new Uint8Array(2)))).rejects.toMatchObject({ code: ErrorCode.IO });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
