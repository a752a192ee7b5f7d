/**
 * The engine cache's key: a SHA-256 over everything that changes the engine: the model's bytes and
 * its external data, the normalised build settings and profiles, the calibration samples (int8),
 * the exact TensorRT version, the GPU (name and compute capability) and this addon's version.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { requireBinding } from '../binding.js';
import { packageInfo } from '../util/package-info.js';
import { devices } from '../cuda/devices.js';
import { DataLocation, allInitializers, decodeModel, readExternalData } from '../onnx/index.js';
import type { Feeds } from '../optimize/feeds.js';
import { tensorrtLibraryInfo } from './info.js';
import type { PreparedBuild } from './builder.js';

/** JSON with object keys sorted, so equal settings give equal text whatever order they were written in. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function externalDataDigests(prepared: PreparedBuild): Promise<[string, string][]> {
  if (prepared.modelPath === undefined) return [];
  const graph = decodeModel(prepared.bytes).graph;
  if (graph === undefined) return [];
  const baseDir = dirname(prepared.modelPath);
  const digests: [string, string][] = [];
  for (const tensor of allInitializers(graph)) {
    if (tensor.dataLocation !== DataLocation.EXTERNAL) continue;
    digests.push([tensor.name, sha256(await readExternalData(tensor, baseDir))]);
  }
  return digests;
}

/** The calibration samples' digest: a directory's .npy files, or every feed's names, dtypes, dims and bytes. */
export async function calibrationDigest(calibration: string | Iterable<Feeds> | undefined): Promise<string | undefined> {
  if (calibration === undefined) return undefined;
  const hash = createHash('sha256');
  if (typeof calibration === 'string') {
    const files = (await readdir(calibration, { recursive: true })).filter((f) => f.endsWith('.npy')).sort();
    for (const file of files) hash.update(file).update(await readFile(join(calibration, file)));
    return hash.digest('hex');
  }
  for (const feeds of calibration) {
    for (const name of Object.keys(feeds).sort()) {
      const tensor = feeds[name];
      if (tensor === undefined) continue;
      const data = tensor.data as ArrayBufferView;
      hash
        .update(`${name}:${tensor.dtype}:${tensor.dims.join('x')};`)
        .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  return hash.digest('hex');
}

/** What the engine is for beyond the model: TensorRT, the GPU it is built on (`device`) and addon. */
export function environmentIdentity(deviceIndex = 0): { tensorrt: string; gpu: string; addon: string } {
  const device = devices()[deviceIndex];
  const binding = requireBinding();
  return {
    tensorrt: tensorrtLibraryInfo().version ?? 'unknown',
    gpu: device === undefined ? 'none' : `${device.name} sm_${device.computeCapability.major}${device.computeCapability.minor}`,
    addon: `${packageInfo().version}${binding.simulator ? '+sim' : ''}`,
  };
}

export async function engineCacheKey(prepared: PreparedBuild, calibration: string | undefined, device = 0): Promise<string> {
  const material = {
    format: 1,
    model: sha256(prepared.bytes),
    externalData: await externalDataDigests(prepared),
    settings: prepared.settings,
    profiles: prepared.profiles,
    calibration,
    ...environmentIdentity(device),
  };
  return sha256(stableJson(material));
}
