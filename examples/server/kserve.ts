/**
 * KServe v2 HTTP routes (the protocol NVIDIA Triton and KServe speak), so Triton clients and the
 * remote backend can call this server. The codec is the one lib/ uses for the remote backend.
 *
 *   GET  /v2/health/live                                  200 while the process serves
 *   GET  /v2/health/ready                                 200 when the model is ready, else 400
 *   GET  /v2                                              server metadata (extensions: binary_tensor_data)
 *   GET  /v2/models/{name}[/versions/{v}]                 model metadata (variable dims as -1)
 *   GET  /v2/models/{name}[/versions/{v}]/ready           200 when ready, else 400
 *   POST /v2/models/{name}[/versions/{v}]/infer           JSON or binary tensor data, through the batcher
 *
 * The version is the model handle's: 1, then one more per hot swap. Errors answer {"error": message}.
 * Through a batching handle, a request of N rows (Triton clients send batches) becomes N items that
 * join the batcher's runs with other requests' items, and their outputs are stacked back.
 */
import { ErrorCode, type ModelHandle, type Tensor, TensorRTNodeError } from '../../lib/index.js';
import { stackRows, takeRow } from '../../lib/serve/stack.js';
import { decodeInferRequest, encodeInferResponse, type WireTensor } from '../../lib/backends/kserve/inference.js';
import { HEADER_LENGTH_HEADER, decodeMessage } from '../../lib/backends/kserve/message.js';
import { BINARY_DATA_EXTENSION, encodeError, encodeModelMetadata } from '../../lib/backends/kserve/metadata.js';
import { jsonSafe } from '../../lib/backends/kserve/tensor-data.js';
import { packageInfo } from '../../lib/util/package-info.js';
import type { ParsedRequest, Reply, Route, ServerContext } from './server.js';

const MODEL = '^/v2/models/(?<name>[^/]+)(?:/versions/(?<version>[^/]+))?';

/** Platform names as Triton reports them. */
function platformOf(backend: string): string {
  return backend === 'tensorrt' ? 'tensorrt_plan' : backend === 'cpu' ? 'onnxruntime_onnx' : backend;
}

function ready(context: ServerContext): boolean {
  return !context.draining && !context.handle.session.disposed;
}

/**
 * The 404 for a request that names another model or version than the one served (no version: the
 * current one); undefined when it names this one.
 */
function unknownModel(request: ParsedRequest, context: ServerContext): Reply | undefined {
  let name: string;
  let version: string | undefined;
  try {
    name = decodeURIComponent(request.params.name ?? '');
    version = request.params.version === undefined ? undefined : decodeURIComponent(request.params.version);
  } catch {
    return { status: 400, body: encodeError('Expected a percent-encoded model name and version in the path') };
  }
  if (name !== context.modelName) return { status: 404, body: encodeError(`Request for unknown model: '${name}' is not found`) };
  if (version !== undefined && version !== String(context.handle.version)) {
    return {
      status: 404,
      body: encodeError(
        `Request for unknown model: '${name}' version ${version} is not found (version ${context.handle.version} is serving)`,
      ),
    };
  }
  return undefined;
}

/** The number of rows when every input has the model's rank and one first dim N > 1 the model leaves free; else undefined. */
function rowsOf(inputs: Record<string, Tensor>, handle: ModelHandle): number | undefined {
  let rows: number | undefined;
  for (const info of handle.session.inputs) {
    const tensor = inputs[info.name];
    const first = info.shape[0];
    if (tensor === undefined || tensor.dims.length !== info.shape.length || (typeof first === 'number' && first >= 0)) return undefined;
    if (rows !== undefined && tensor.dims[0] !== rows) return undefined;
    rows = tensor.dims[0];
  }
  return rows !== undefined && rows > 1 ? rows : undefined;
}

/** Runs a request through the handle: whole, or row by row as batcher items when it holds several. */
async function runRequest(
  handle: ModelHandle,
  inputs: Record<string, Tensor>,
  outputs: string[] | undefined,
  signal: AbortSignal,
): Promise<Record<string, Tensor>> {
  const rows = handle.batching ? rowsOf(inputs, handle) : undefined;
  if (rows === undefined) return handle.run(inputs, { outputs, signal });
  const items = await Promise.all(
    Array.from({ length: rows }, (_, row) => {
      const item: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(inputs)) item[name] = takeRow(tensor, row, true);
      return handle.run(item, { outputs, signal });
    }),
  );
  const stacked: Record<string, Tensor> = {};
  for (const name of Object.keys(items[0] as Record<string, Tensor>)) {
    const parts = items.map((item) => item[name] as Tensor);
    const dims = (parts[0] as Tensor).dims;
    if (parts.some((part) => part.dims.length !== dims.length || part.dims.some((dim, axis) => axis > 0 && dim !== dims[axis]))) {
      throw new TensorRTNodeError(
        ErrorCode.SHAPE_MISMATCH,
        `Expected rows of one shape for output "${name}" of a batched request but received rows of different shapes; send one row per request`,
      );
    }
    stacked[name] = stackRows(parts);
  }
  return stacked;
}

const health = (isReady: (context: ServerContext) => boolean) => async (_request: ParsedRequest, context: ServerContext) =>
  ({ status: isReady(context) ? 200 : 400, body: '' }) satisfies Reply;

export const kserveRoutes: Route[] = [
  { method: 'GET', path: /^\/v2\/health\/live$/, protocol: 'kserve', handle: health(() => true) },
  { method: 'GET', path: /^\/v2\/health\/ready$/, protocol: 'kserve', handle: health(ready) },
  {
    method: 'GET',
    path: /^\/v2\/?$/,
    protocol: 'kserve',
    async handle() {
      const { name, version } = packageInfo();
      return { status: 200, body: { name, version, extensions: [BINARY_DATA_EXTENSION] } };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`${MODEL}/?$`),
    protocol: 'kserve',
    async handle(request, context) {
      const refused = unknownModel(request, context);
      if (refused) return refused;
      const { session, version } = context.handle;
      return {
        status: 200,
        body: encodeModelMetadata({
          name: context.modelName,
          versions: [String(version)],
          platform: platformOf(session.backend),
          inputs: session.inputs,
          outputs: session.outputs,
        }),
      };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`${MODEL}/ready$`),
    protocol: 'kserve',
    async handle(request, context) {
      return unknownModel(request, context) ?? { status: ready(context) ? 200 : 400, body: '' };
    },
  },
  {
    method: 'POST',
    path: new RegExp(`${MODEL}/infer$`),
    protocol: 'kserve',
    rawBody: true,
    async handle(request, context) {
      const refused = unknownModel(request, context);
      if (refused) return refused;
      const { handle } = context;
      const header = request.headers[HEADER_LENGTH_HEADER];
      const decoded = decodeInferRequest(decodeMessage(request.raw, Array.isArray(header) ? header[0] : header));
      const version = handle.version;
      const names = decoded.outputs?.map((output) => output.name);
      const results = await runRequest(handle, decoded.inputs, names, request.signal);
      const wanted = decoded.outputs ?? handle.session.outputNames.map((name) => ({ name, binary: undefined }));
      const outputs: WireTensor[] = wanted.map(({ name, binary }) => {
        const tensor = results[name] as Tensor;
        // JSON cannot carry NaN, infinities, FP16 or 64-bit integers past 2^53: those go as binary
        // whatever was asked, which the protocol allows (the response says which tensors are binary).
        return { name, tensor, binary: (binary ?? decoded.binaryOutput) || !jsonSafe(tensor) };
      });
      const message = encodeInferResponse({ modelName: context.modelName, modelVersion: String(version), id: decoded.id, outputs });
      return { status: 200, body: undefined, chunks: message.chunks, headers: message.headers };
    },
  },
];

/** The body of a failed KServe v2 request. */
export function kserveErrorBody(error: unknown): unknown {
  return encodeError(error instanceof Error ? error.message : String(error));
}
