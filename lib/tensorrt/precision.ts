/**
 * Precision by rewriting the model before TensorRT parses it (TensorRT 11 networks are strongly
 * typed and have no FP16/INT8 builder flags; TensorRT 10 is built the same way so engines agree).
 */
import { convertToFloat16 } from '../optimize/convert-fp16.js';
import type { EngineBuildSettings, Precision } from './build-options.js';

/** The model to parse for `precision`: the original for fp32, else the rewritten bytes. */
export async function applyPrecision(
  model: string | Uint8Array,
  precision: Precision,
  calibration: EngineBuildSettings['calibration'],
  signal: AbortSignal | undefined,
): Promise<string | Uint8Array> {
  const withSignal = signal === undefined ? {} : { signal };
  switch (precision) {
    case 'fp32':
      return model;
    case 'fp16':
      // Float32 inputs and outputs (Casts at the boundary), as TensorRT's fp16 engines keep them.
      return (await convertToFloat16(model, { keepIoTypes: true, ...withSignal })).model;
    case 'int8':
    case 'best': {
      // normalizeBuildSettings has checked that calibration is there for these precisions. The quantizer
      // is loaded here, not at the top: it calibrates through InferenceSession, which builds through us.
      const { quantizeInt8 } = await import('../optimize/quantize.js');
      const int8 = (
        await quantizeInt8(model, { calibration: calibration as NonNullable<typeof calibration>, target: 'tensorrt', ...withSignal })
      ).model;
      // best: what stayed in float (sensitive layers, ops without int8 kernels) runs in fp16; Q/DQ stay float32.
      return precision === 'int8' ? int8 : (await convertToFloat16(int8, { keepIoTypes: true, ...withSignal })).model;
    }
  }
}
