/**
 * Turns `run`'s --input and --shapes flags into the feeds for a session: each model input comes
 * from a .npy file or from seeded random data of the input's dtype, at a shape that is fully
 * known (fixed dims of the model, --shapes for symbolic dims, or the default model's sizes).
 */
import type { TensorInfo } from '../backends/backend.js';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { loadNpy } from '../npy.js';
import { type Tensor, formatDim, formatDims, formatShape } from '../tensor.js';
import { randomTensor, seededRandom } from './random-tensor.js';

export type InputSource = { kind: 'file'; path: string } | { kind: 'random' };

export interface PlannedInput {
  name: string;
  dtype: string;
  dims: number[];
  /** The .npy path, or "random". */
  source: string;
}

function isSymbolic(dim: number | string): boolean {
  return typeof dim === 'string' || dim < 0;
}

function inputNames(inputs: readonly TensorInfo[]): string {
  return inputs.map((info) => JSON.stringify(info.name)).join(', ');
}

function unknownInput(inputs: readonly TensorInfo[], flag: string, name: string): TensorRTNodeError {
  return new TensorRTNodeError(
    ErrorCode.UNKNOWN_TENSOR,
    `Expected one of the model's inputs (${inputNames(inputs)}) for ${flag} but received an unknown input "${name}"`,
  );
}

/**
 * `name=file.npy` or `name=random`; a bare `file.npy` or `random` when the model has one input.
 * Input names may themselves contain '=', so the name is the prefix that matches an input.
 */
export function parseInputSpecs(specs: readonly string[], inputs: readonly TensorInfo[]): Map<string, InputSource> {
  const sources = new Map<string, InputSource>();
  for (const spec of specs) {
    let name: string | undefined;
    let value: string | undefined;
    for (let at = spec.indexOf('='); at >= 0; at = spec.indexOf('=', at + 1)) {
      if (inputs.some((info) => info.name === spec.slice(0, at))) {
        name = spec.slice(0, at);
        value = spec.slice(at + 1);
        break;
      }
    }
    if (name === undefined) {
      if (inputs.length === 1 && (spec === 'random' || !spec.includes('='))) {
        name = inputs[0].name;
        value = spec;
      } else if (spec.includes('=')) {
        throw unknownInput(inputs, '--input', spec.slice(0, spec.indexOf('=')));
      } else {
        throw invalidArgument('name=file.npy or name=random (the model has several inputs)', '--input', spec);
      }
    }
    if (!value) throw invalidArgument('name=file.npy or name=random', '--input', spec);
    if (sources.has(name as string)) throw invalidArgument(`one --input per input name`, '--input', spec);
    sources.set(name as string, value === 'random' ? { kind: 'random' } : { kind: 'file', path: value });
  }
  return sources;
}

/** trtexec's spelling: `name:1x3x224x224`, several separated by commas (the name ends at the last ':'). */
export function parseShapeSpecs(specs: readonly string[], inputs: readonly TensorInfo[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const spec of specs
    .flatMap((list) => list.split(','))
    .map((item) => item.trim())
    .filter(Boolean)) {
    const colon = spec.lastIndexOf(':');
    const name = spec.slice(0, colon);
    const dimsText = spec.slice(colon + 1);
    if (colon <= 0 || !/^\d+(x\d+)*$/.test(dimsText)) throw invalidArgument('name:dims such as x:1x3x224x224', '--shapes', spec);
    if (!inputs.some((info) => info.name === name)) throw unknownInput(inputs, '--shapes', name);
    if (shapes.has(name)) throw invalidArgument('one shape per input name', '--shapes', spec);
    const dims = dimsText.split('x').map(Number);
    if (!dims.every((dim) => Number.isSafeInteger(dim) && dim > 0)) throw invalidArgument('positive dims', `--shapes ${name}`, dimsText);
    shapes.set(name, dims);
  }
  return shapes;
}

/** A shape must have the model's rank and agree with every fixed dim. */
function checkAgainstModel(info: TensorInfo, dims: readonly number[], from: string): void {
  const fits = dims.length === info.shape.length && info.shape.every((dim, axis) => isSymbolic(dim) || dim === dims[axis]);
  if (!fits) {
    throw new TensorRTNodeError(
      ErrorCode.SHAPE_MISMATCH,
      `Expected a shape matching ${formatShape(info.shape)} for input "${info.name}" but ${from} gives ${formatDims(dims)}`,
    );
  }
}

function exampleShape(info: TensorInfo): string {
  return info.shape.map((dim, axis) => (isSymbolic(dim) ? `<d${axis}>` : String(dim))).join('x');
}

export interface ResolvedInputs {
  feeds: Record<string, Tensor>;
  planned: PlannedInput[];
}

export async function resolveInputs(
  inputs: readonly TensorInfo[],
  sources: ReadonlyMap<string, InputSource>,
  shapes: ReadonlyMap<string, number[]>,
  defaultShapes: Readonly<Record<string, number[]>>,
  seed: number,
): Promise<ResolvedInputs> {
  const random = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  const planned: PlannedInput[] = [];
  for (const info of inputs) {
    const source = sources.get(info.name) ?? { kind: 'random' };
    const given = shapes.get(info.name);
    if (given) checkAgainstModel(info, given, `--shapes`);
    let tensor: Tensor;
    if (source.kind === 'file') {
      tensor = await loadNpy(source.path);
      if (tensor.dtype !== info.dtype) {
        throw new TensorRTNodeError(
          ErrorCode.DTYPE_MISMATCH,
          `Expected dtype ${info.dtype} for input "${info.name}" but ${source.path} holds ${tensor.dtype}`,
        );
      }
      checkAgainstModel(info, tensor.dims, source.path);
      if (given && given.join('x') !== tensor.dims.join('x')) {
        throw new TensorRTNodeError(
          ErrorCode.SHAPE_MISMATCH,
          `Expected ${formatDims(given)} (from --shapes) for input "${info.name}" but ${source.path} holds ${formatDims(tensor.dims)}`,
        );
      }
    } else {
      let dims = given ?? defaultShapes[info.name];
      if (!dims) {
        const symbolic = info.shape.filter(isSymbolic);
        if (symbolic.length > 0) {
          throw new TensorRTNodeError(
            ErrorCode.INVALID_ARGUMENT,
            `Expected --shapes to size the symbolic dims (${symbolic.map(formatDim).join(', ')}) of input "${info.name}" ${formatShape(info.shape)} but received none; ` +
              `give them as --shapes ${info.name}:${exampleShape(info)} with numbers`,
          );
        }
        dims = info.shape as number[];
      }
      checkAgainstModel(info, dims, given ? '--shapes' : 'the default shape');
      tensor = randomTensor(info.dtype, dims, random, `the random data of input "${info.name}"`);
    }
    feeds[info.name] = tensor;
    planned.push({ name: info.name, dtype: info.dtype, dims: [...tensor.dims], source: source.kind === 'file' ? source.path : 'random' });
  }
  return { feeds, planned };
}
