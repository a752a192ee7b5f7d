/**
 * NumPy .npy files (format versions 1-3, little-endian, C order) <-> Tensor: the interchange format
 * for calibration and evaluation inputs on disk.
 */
import { type DType, dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { Tensor } from '../tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = {
  '<f4': 'float32', '<f2': 'float16', '<f8': 'float64', '|i1': 'int8', '|u1': 'uint8', '<i2': 'int16', '<u2': 'uint16',
  '<i4': 'int32', '<u4': 'uint32', '<i8': 'int64', '<u8': 'uint64', '|b1': 'bool',
};
const DTYPE_TO_DESCR = Object.fromEntries(Object.entries(DESCR_TO_DTYPE).map(([descr, dtype]) => [dtype, descr])) as Record<DType, string>;

function bad(name: string, why: string): TensorRTNodeError {
  return new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a NumPy .npy array for ${name} but ${why}`);
}

export function parseNpy(bytes: Uint8Array, name = 'the file'): Tensor {
  if (bytes.byteLength < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) throw bad(name, 'it does not start with the .npy magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad(name, `its header is not understood: ${header.trim()}`);
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) throw bad(name, `its element type ${descr} is not supported (little-endian numbers and bool are)`);
  if (fortran === 'True') throw bad(name, 'it is in Fortran order (save it with np.ascontiguousarray)');
  const dims = shapeText.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number);
  const info = dtypeInfo(dtype);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.byteLength - dataStart < count * info.bytesPerElement) throw bad(name, `it holds ${bytes.byteLength - dataStart} bytes of data for shape (${dims.join(', ')})`);
  // A copy (Buffer#slice would share memory), aligned for the TypedArray.
  const copy = new Uint8Array(bytes.subarray(dataStart, dataStart + count * info.bytesPerElement));
  return new Tensor(dtype, new info.arrayType(copy.buffer, 0, count) as never, dims);
}

export function serializeNpy(tensor: Tensor): Uint8Array {
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${DTYPE_TO_DESCR[tensor.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + tensor.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), 10 + header.length);
  return out;
}
