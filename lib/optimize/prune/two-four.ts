/**
 * NVIDIA's 2:4 structured sparsity on a weight tensor: along the input-channel (reduction) axis, in
 * every group of four consecutive channels at each output channel and kernel position, at most two
 * values are non-zero. Sparse Tensor Cores skip the zeros; TensorRT uses them for layers whose
 * weights follow the pattern when the engine is built with its sparsity flag.
 *
 * A weight is seen as [outer, channels, inner]: element (o, c, i) lives at (o * channels + c) *
 * inner + i. Conv [K, C, kh, kw]: outer K, inner kh * kw. MatMul [C, K] and Gemm's B [C, K]: outer
 * 1, inner K. Gemm's B with transB [K, C]: outer K, inner 1.
 */

export interface ChannelLayout {
  outer: number;
  channels: number;
  inner: number;
}

/**
 * Zeroes, in place, the two smallest magnitudes of every group of four along the channel axis
 * (ties: the later channel goes). `channels` must be a multiple of 4. Returns how many non-zero
 * values became zero.
 */
export function pruneTwoFour(data: Float32Array, { outer, channels, inner }: ChannelLayout): number {
  let zeroed = 0;
  const order = [0, 1, 2, 3];
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c += 4) {
      for (let i = 0; i < inner; i++) {
        const at = (k: number) => (o * channels + c + k) * inner + i;
        order.sort((a, b) => Math.abs(data[at(b)]) - Math.abs(data[at(a)]) || a - b);
        for (const k of [order[2], order[3]]) {
          if (data[at(k)] !== 0) zeroed++;
          data[at(k)] = 0;
        }
      }
    }
  }
  return zeroed;
}

/** Groups of four along the channel axis that hold more than two non-zero values. */
export function countDenseGroups(data: Float32Array, { outer, channels, inner }: ChannelLayout): number {
  let dense = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c + 3 < channels; c += 4) {
      for (let i = 0; i < inner; i++) {
        let nonZero = 0;
        for (let k = 0; k < 4; k++) if (data[(o * channels + c + k) * inner + i] !== 0) nonZero++;
        if (nonZero > 2) dense++;
      }
    }
  }
  return dense;
}
