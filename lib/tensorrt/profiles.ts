/**
 * Optimization profiles checked against the model before anything native runs: every dynamic
 * input covered, ranks right, static dims kept, min <= opt <= max; each error names the option,
 * the profile, the input and the dim. `shapes` is the shorthand for one fixed profile, and a model
 * whose only dynamic dims are the first (batch) gets a default profile.
 */
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { decodeModel, graphInputs } from '../onnx/index.js';
import type { ProfileRange, ShapeValueRange } from './engine.js';

/** A model input as the builder sees it: -1 for a dynamic dim, null when not even the rank is known. */
export interface ModelInput {
  readonly name: string;
  readonly dims: readonly number[] | null;
}

export type Profile = Readonly<Record<string, ProfileRange>>;

/** The default profile's batch range for models whose only dynamic dim is the first. */
export const DEFAULT_BATCH = { min: 1, opt: 1, max: 16 } as const;

export function modelInputs(onnx: Uint8Array): ModelInput[] {
  const model = decodeModel(onnx);
  const graph = model.graph;
  if (graph === undefined) return [];
  return graphInputs(graph).map((input) => {
    const type = input.type?.value;
    const shape = type?.case === 'tensorType' ? type.value.shape : undefined;
    if (shape === undefined) return { name: input.name, dims: null };
    return {
      name: input.name,
      dims: shape.dim.map((dim) => (dim.value.case === 'dimValue' && dim.value.value >= 0n ? Number(dim.value.value) : -1)),
    };
  });
}

function formatDims(dims: readonly number[] | null): string {
  return dims === null ? 'unknown rank' : `[${dims.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

function isDynamic(input: ModelInput): boolean {
  return input.dims === null || input.dims.some((d) => d < 0);
}

/** The inputs that need a profile, with why; empty for static models. */
export function dynamicInputs(inputs: readonly ModelInput[]): ModelInput[] {
  return inputs.filter(isDynamic);
}

/** The default profile (batch 1..16, opt 1) when every dynamic input is dynamic only in its first dim; else undefined. */
export function defaultProfile(inputs: readonly ModelInput[]): Profile | undefined {
  const dynamic = dynamicInputs(inputs);
  if (dynamic.length === 0) return undefined;
  const profile: Record<string, ProfileRange> = {};
  for (const input of dynamic) {
    const dims = input.dims;
    if (dims === null || dims.length === 0 || dims.slice(1).some((d) => d < 0)) return undefined;
    const rest = dims.slice(1);
    profile[input.name] = { min: [DEFAULT_BATCH.min, ...rest], opt: [DEFAULT_BATCH.opt, ...rest], max: [DEFAULT_BATCH.max, ...rest] };
  }
  return profile;
}

/** Why a dynamic model cannot be built without profiles: names the first input that needs one and the options to pass. */
export function missingProfileReason(inputs: readonly ModelInput[], optionName: string): string | undefined {
  if (defaultProfile(inputs) !== undefined) return undefined;
  const input = dynamicInputs(inputs).find((i) => i.dims === null || i.dims.slice(1).some((d) => d < 0));
  if (input === undefined) return undefined;
  return `input ${input.name} has dynamic dims ${formatDims(input.dims)} beyond the batch dim: pass ${optionName}.profiles or ${optionName}.shapes`;
}

function checkDimList(value: unknown, rank: number, name: string, input: ModelInput): number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw invalidArgument('an array of non-negative integers', name, value);
  }
  if (value.length !== rank) throw invalidArgument(`${rank} dims (the rank of input ${input.name})`, name, value);
  return value as number[];
}

function checkRange(input: ModelInput, range: unknown, name: string): ProfileRange {
  if (typeof range !== 'object' || range === null || Array.isArray(range))
    throw invalidArgument('an object { min, opt, max }', name, range);
  if (input.dims === null) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected an input of known rank for ${name} but received input ${input.name}, whose rank the model does not state`,
    );
  }
  const model = input.dims;
  const r = range as Record<string, unknown>;
  const min = checkDimList(r.min, model.length, `${name}.min`, input);
  const opt = checkDimList(r.opt, model.length, `${name}.opt`, input);
  const max = checkDimList(r.max, model.length, `${name}.max`, input);
  for (let d = 0; d < model.length; d++) {
    const fixed = model[d] as number;
    if (fixed >= 0) {
      for (const [key, dims] of [
        ['min', min],
        ['opt', opt],
        ['max', max],
      ] as const) {
        if (dims[d] !== fixed)
          throw invalidArgument(`${fixed} (input ${input.name} is static in dim ${d})`, `${name}.${key}[${d}]`, dims[d]);
      }
    }
    const [lo, mid, hi] = [min[d] as number, opt[d] as number, max[d] as number];
    if (!(lo <= mid && mid <= hi)) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected min <= opt <= max for ${name} dim ${d} but received min ${lo}, opt ${mid}, max ${hi}`,
      );
    }
  }
  if (r.values === undefined) return { min, opt, max };
  return { min, opt, max, values: checkValues(input, r.values, min, max, `${name}.values`) };
}

/**
 * A shape tensor input's value range: as many values as the input holds (so its dims must be fixed
 * in the profile), integers TensorRT can take (int64), min <= opt <= max element by element.
 */
function checkValues(input: ModelInput, values: unknown, min: number[], max: number[], name: string): ShapeValueRange {
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw invalidArgument('an object { min, opt, max } of shape tensor values', name, values);
  if (min.some((d, i) => d !== max[i])) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected fixed dims (min = max) for input ${input.name}, whose values are given in ${name}, but received min [${min.join(', ')}] and max [${max.join(', ')}]`,
    );
  }
  const count = min.reduce((a, b) => a * b, 1);
  const v = values as Record<string, unknown>;
  const list = (key: 'min' | 'opt' | 'max'): number[] => {
    const value = v[key];
    if (!Array.isArray(value) || !value.every((x) => Number.isSafeInteger(x)))
      throw invalidArgument('an array of integers', `${name}.${key}`, value);
    if (value.length !== count)
      throw invalidArgument(`${count} values (the elements of input ${input.name} [${min.join(', ')}])`, `${name}.${key}`, value);
    return value as number[];
  };
  const [lo, mid, hi] = [list('min'), list('opt'), list('max')];
  for (let i = 0; i < count; i++) {
    const [a, b, c] = [lo[i] as number, mid[i] as number, hi[i] as number];
    if (!(a <= b && b <= c)) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected min <= opt <= max for ${name} value ${i} but received min ${a}, opt ${b}, max ${c}`,
      );
    }
  }
  return { min: lo, opt: mid, max: hi };
}

/**
 * Checked, normalised profiles for the model: from `profiles`, from `shapes` (one fixed profile),
 * or the default batch profile; [] for a static model without options.
 */
export function resolveProfiles(inputs: readonly ModelInput[], profiles: unknown, shapes: unknown, optionName: string): Profile[] {
  if (profiles !== undefined && shapes !== undefined) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected either ${optionName}.profiles or ${optionName}.shapes for ${optionName} but received both`,
    );
  }
  let list: unknown[];
  let listName: string;
  if (shapes !== undefined) {
    if (typeof shapes !== 'object' || shapes === null || Array.isArray(shapes))
      throw invalidArgument('an object of input name -> dims', `${optionName}.shapes`, shapes);
    list = [Object.fromEntries(Object.entries(shapes).map(([name, dims]) => [name, { min: dims, opt: dims, max: dims }]))];
    listName = `${optionName}.shapes`;
  } else if (profiles !== undefined && !(Array.isArray(profiles) && profiles.length === 0)) {
    if (!Array.isArray(profiles)) throw invalidArgument('an array of profiles', `${optionName}.profiles`, profiles);
    list = profiles;
    listName = `${optionName}.profiles`;
  } else {
    if (dynamicInputs(inputs).length === 0) return [];
    const fallback = defaultProfile(inputs);
    if (fallback !== undefined) return [fallback];
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${optionName}.profiles or ${optionName}.shapes for ${optionName} but received none: ${missingProfileReason(inputs, optionName) ?? 'the model has dynamic inputs'}`,
    );
  }
  const byName = new Map(inputs.map((i) => [i.name, i]));
  return list.map((profile, index) => {
    const profileName = shapes !== undefined ? listName : `${listName}[${index}]`;
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
      throw invalidArgument('an object of input name -> { min, opt, max }', profileName, profile);
    const out: Record<string, ProfileRange> = {};
    for (const [name, range] of Object.entries(profile)) {
      const input = byName.get(name);
      if (input === undefined) {
        throw invalidArgument(`an input of the model (${inputs.map((i) => i.name).join(', ')})`, `${profileName}.${name}`, name);
      }
      out[name] =
        shapes !== undefined ? checkShape(input, range, `${profileName}.${name}`) : checkRange(input, range, `${profileName}.${name}`);
    }
    for (const input of dynamicInputs(inputs)) {
      if (!(input.name in out)) {
        throw new TensorRTNodeError(
          ErrorCode.INVALID_ARGUMENT,
          `Expected dims for dynamic input ${input.name} ${formatDims(input.dims)} in ${profileName} but received none`,
        );
      }
    }
    return out;
  });
}

function checkShape(input: ModelInput, range: unknown, name: string): ProfileRange {
  const dims = (range as { min: unknown }).min;
  if (input.dims === null) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected an input of known rank for ${name} but received input ${input.name}, whose rank the model does not state`,
    );
  }
  const checked = checkDimList(dims, input.dims.length, name, input);
  input.dims.forEach((fixed, d) => {
    if (fixed >= 0 && checked[d] !== fixed)
      throw invalidArgument(`${fixed} (input ${input.name} is static in dim ${d})`, `${name}[${d}]`, checked[d]);
  });
  return { min: checked, opt: checked, max: checked };
}
