/**
 * Random input data for `run`: reproducible (a seeded generator, so two runs see the same data)
 * and in ranges that keep common models on their normal paths: floats in [-1, 1), integers in
 * [0, 10) (small enough to be valid indices or token ids), booleans 0/1.
 */
import { type DType, type DTypeArrayMap } from '../dtype.js';
import { float32ToFloat16Bits } from '../onnx/float16.js';
import { Tensor, allocateTensorData, elementCount } from '../tensor.js';

/** mulberry32: a tiny, fast 32-bit generator; plenty for benchmark inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** `name` says whose data it is in an error (dims too large to allocate). */
export function randomTensor(dtype: DType, dims: readonly number[], random: () => number, name = 'a random tensor'): Tensor {
  const count = elementCount(dims);
  const data = allocateTensorData(dtype, dims, name);
  const float = () => random() * 2 - 1;
  const integer = () => Math.floor(random() * 10);
  switch (dtype) {
    case 'float32':
    case 'float64':
      for (let i = 0; i < count; i++) (data as Float32Array)[i] = float();
      break;
    case 'float16':
      for (let i = 0; i < count; i++) (data as Uint16Array)[i] = float32ToFloat16Bits(float());
      break;
    case 'bfloat16':
      for (let i = 0; i < count; i++) {
        scratch[0] = float();
        (data as Uint16Array)[i] = scratchBits[0] >>> 16;
      }
      break;
    case 'bool':
      for (let i = 0; i < count; i++) (data as Uint8Array)[i] = random() < 0.5 ? 0 : 1;
      break;
    case 'int64':
    case 'uint64':
      for (let i = 0; i < count; i++) (data as BigInt64Array)[i] = BigInt(integer());
      break;
    default:
      for (let i = 0; i < count; i++) (data as Int32Array)[i] = integer();
  }
  return new Tensor(dtype, data as DTypeArrayMap[typeof dtype], dims);
}
