/**
 * NumPy .npy files (format versions 1, 2 and 3), read into a Tensor and written from one.
 *
 * A file is: the magic "\x93NUMPY", a major and minor version byte, the header length (uint16 LE
 * in v1, uint32 LE in v2 and v3), then a header that is a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }` (latin1 in v1/v2, UTF-8 in v3),
 * padded with spaces and a newline, then the raw elements. Only little-endian, C-order arrays of
 * the numeric dtypes a Tensor holds are accepted; anything else is refused with a message saying
 * what was expected, never misread.
 */
import { type DType, type DTypeArrayMap, dtypeInfo } from './dtype.js';
import { ErrorCode, TensorRTNodeError, describeValue } from './errors.js';
import { Tensor, elementCount, formatDims } from './tensor.js';
import { writeFileAtomic } from './util/atomic-file.js';
import { readRegularFile } from './util/regular-file.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The descr type codes (without the byte-order character) of the dtypes a Tensor can hold. */
const DESCR_TO_DTYPE: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};

const DTYPE_TO_DESCR: Partial<Record<DType, string>> = Object.fromEntries(
  Object.entries(DESCR_TO_DTYPE).map(([code, dtype]) => [dtype, `${code.endsWith('1') ? '|' : '<'}${code}`]),
);

const SUPPORTED_DESCRS = Object.values(DTYPE_TO_DESCR).join(' ');

function malformed(source: string, what: string, received: string): TensorRTNodeError {
  return new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected ${what} for ${source} but received ${received}`);
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/**
 * Parses the header's dict literal. It is a tiny, fixed grammar (quoted strings, True/False, tuples
 * of integers), so it is parsed exactly rather than evaluated or matched loosely.
 */
function parseHeader(text: string, source: string): NpyHeader {
  let pos = 0;
  const fail = (what: string): never => {
    throw malformed(source, `a .npy header dict (${what})`, `${JSON.stringify(text.trim().slice(0, 120))}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[pos] !== char) fail(`'${char}' at offset ${pos}`);
    pos++;
  };
  const parseString = (): string => {
    skipSpace();
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') fail(`a quoted string at offset ${pos}`);
    const end = text.indexOf(quote, pos + 1);
    if (end < 0) fail('a closed string');
    const value = text.slice(pos + 1, end);
    pos = end + 1;
    return value;
  };
  const parseValue = (): string | boolean | number[] => {
    skipSpace();
    const char = text[pos];
    if (char === "'" || char === '"') return parseString();
    if (text.startsWith('True', pos)) return ((pos += 4), true);
    if (text.startsWith('False', pos)) return ((pos += 5), false);
    if (char === '(') {
      pos++;
      const dims: number[] = [];
      for (;;) {
        skipSpace();
        if (text[pos] === ')') break;
        const match = /^\d+L?/.exec(text.slice(pos));
        if (!match) fail(`a non-negative integer dim at offset ${pos}`);
        const dim = Number(match![0].replace('L', ''));
        if (!Number.isSafeInteger(dim)) fail(`a dim below 2^53 at offset ${pos}`);
        dims.push(dim);
        pos += match![0].length;
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== ')') fail(`',' or ')' at offset ${pos}`);
      }
      pos++;
      return dims;
    }
    return fail(`a string, True, False or a tuple at offset ${pos}`);
  };

  const entries = new Map<string, string | boolean | number[]>();
  expect('{');
  for (;;) {
    skipSpace();
    if (text[pos] === '}') break;
    const key = parseString();
    expect(':');
    if (entries.has(key)) fail(`no repeated key '${key}'`);
    entries.set(key, parseValue());
    skipSpace();
    if (text[pos] === ',') pos++;
    else if (text[pos] !== '}') fail(`',' or '}' at offset ${pos}`);
  }
  pos++;
  skipSpace();
  if (pos !== text.length) fail(`nothing after the closing '}'`);

  const descr = entries.get('descr');
  const fortranOrder = entries.get('fortran_order');
  const shape = entries.get('shape');
  if (typeof descr !== 'string') fail("a string 'descr'");
  if (typeof fortranOrder !== 'boolean') fail("a boolean 'fortran_order'");
  if (!Array.isArray(shape)) fail("a tuple 'shape'");
  const extra = [...entries.keys()].filter((key) => !['descr', 'fortran_order', 'shape'].includes(key));
  if (extra.length > 0) fail(`only the keys descr, fortran_order and shape, not ${extra.join(', ')}`);
  return { descr: descr as string, fortranOrder: fortranOrder as boolean, shape: shape as number[] };
}

function dtypeFromDescr(descr: string, source: string): DType {
  const order = descr[0];
  const code = descr.slice(1);
  const dtype = DESCR_TO_DTYPE[code];
  const single = code.endsWith('1');
  if (dtype && order === '>' && !single) {
    throw malformed(
      source,
      `a little-endian dtype (one of ${SUPPORTED_DESCRS}); big-endian arrays can be converted with arr.astype(arr.dtype.newbyteorder('<'))`,
      `'${descr}'`,
    );
  }
  // Single-byte types have no byte order: NumPy writes '|', but any order character means the same.
  const orderOk = single ? ['|', '<', '>', '='].includes(order) : order === '<';
  if (!dtype || !orderOk) throw malformed(source, `a supported dtype (one of ${SUPPORTED_DESCRS})`, `'${descr}'`);
  return dtype;
}

/**
 * Decodes .npy bytes into a Tensor. The tensor's data is a view over `bytes` when the element data
 * is suitably aligned, else a copy.
 * @param source how to name the data in error messages (a file path, or "the .npy data")
 */
export function decodeNpy(bytes: Uint8Array, source = 'the .npy data'): Tensor {
  if (!(bytes instanceof Uint8Array)) throw malformed('decodeNpy(bytes)', 'a Uint8Array', describeValue(bytes));
  if (bytes.length < 10 || !MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw malformed(
      source,
      'a .npy file (starting with the bytes \\x93NUMPY)',
      bytes.length < 6
        ? `${bytes.length} bytes`
        : `a file starting with ${JSON.stringify(Buffer.from(bytes.subarray(0, 6)).toString('latin1'))}`,
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) throw malformed(source, '.npy format version 1.0, 2.0 or 3.0', `version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw malformed(source, 'a complete .npy header', `${bytes.length} bytes`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw malformed(source, `a .npy header of ${headerLength} bytes`, `a file of ${bytes.length} bytes, which ends inside the header`);
  }
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const header = parseHeader(headerText, source);
  const dtype = dtypeFromDescr(header.descr, source);
  const info = dtypeInfo(dtype);
  const count = elementCount(header.shape);
  if (header.fortranOrder && header.shape.filter((dim) => dim > 1).length > 1) {
    throw malformed(
      source,
      'a C-order (row-major) array; save it with np.save(path, np.ascontiguousarray(arr))',
      `a Fortran-order array of shape ${formatDims(header.shape)}`,
    );
  }
  const dataLength = bytes.length - dataStart;
  const expectedLength = count * info.bytesPerElement;
  if (dataLength !== expectedLength) {
    throw malformed(
      source,
      `${expectedLength} bytes of data (${count} x ${header.descr} for shape ${formatDims(header.shape)})`,
      `${dataLength} bytes${dataLength < expectedLength ? ' (the file is truncated)' : ' (the file has trailing bytes)'}`,
    );
  }
  const byteOffset = bytes.byteOffset + dataStart;
  const data =
    byteOffset % info.bytesPerElement === 0
      ? new info.arrayType(bytes.buffer, byteOffset, count)
      : new info.arrayType(bytes.slice(dataStart).buffer, 0, count);
  return new Tensor(dtype, data as DTypeArrayMap[typeof dtype], header.shape);
}

/** Reads a .npy file (a regular file: never a FIFO or a device, which have no end) into a Tensor. */
export async function loadNpy(path: string): Promise<Tensor> {
  return decodeNpy(await readRegularFile(path, { what: '.npy file', code: ErrorCode.IO }), path);
}

/**
 * Encodes a Tensor as .npy bytes: format 1.0 when the header fits its 64 KiB limit, else 2.0 (3.0 is
 * only needed for non-latin1 field names, which plain arrays never have). The header is padded so the
 * data starts at a multiple of 64 bytes; the bytes are the same as np.save writes.
 */
export function encodeNpy(tensor: Tensor): Uint8Array {
  if (!(tensor instanceof Tensor)) throw malformed('encodeNpy(tensor)', 'a Tensor', describeValue(tensor));
  const descr = DTYPE_TO_DESCR[tensor.dtype];
  if (!descr)
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a dtype .npy can hold (${Object.keys(DTYPE_TO_DESCR).join(', ')}) for encodeNpy(tensor) but received ${tensor.dtype}`,
    );
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  // Like np.save: spare spaces after the dict let tools grow the first axis in place, then padding to 64.
  const growth = tensor.dims.length > 0 ? ' '.repeat(Math.max(0, 21 - String(tensor.dims[0]).length)) : '';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }${growth}`;
  const major = dict.length + 1 + 10 + 63 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const padded = dict + ' '.repeat((64 - ((prefix + dict.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + padded.length + tensor.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(Buffer.from(padded, 'latin1'), prefix);
  out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.byteLength), prefix + padded.length);
  return out;
}

/** Writes a Tensor to a .npy file atomically (see writeFileAtomic: no half-written file, no device replaced). */
export async function saveNpy(path: string, tensor: Tensor): Promise<void> {
  await writeFileAtomic(path, encodeNpy(tensor));
}
