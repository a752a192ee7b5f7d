/**
 * The remote backend: a model served by NVIDIA Triton, a KServe v2 server, or another tensorrt-node
 * server, over the KServe v2 HTTP protocol. Metadata comes from GET /v2/models/{name} when the session
 * opens; each run is one POST .../infer, large tensors as binary data (Triton's extension), small ones
 * as JSON. Results are ordinary Tensors, as on the local backends.
 */
import { dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError, isTensorRTNodeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { setEntry } from '../util/records.js';
import type { Backend, TensorInfo } from './backend.js';
import { type OutputRequest, type WireTensor, decodeInferResponse, encodeInferRequest } from './kserve/inference.js';
import { HEADER_LENGTH_HEADER, decodeMessage } from './kserve/message.js';
import { type ModelMetadata, decodeModelMetadata } from './kserve/metadata.js';
import { jsonSafe } from './kserve/tensor-data.js';
import { copyIntoOutputBuffers } from './output-buffers.js';
import { HttpClient, type HttpResponse, statusError } from './remote/http-client.js';
import { type ModelUrl, parseModelUrl } from './remote/model-url.js';
import { RequestSlots } from './remote/request-slots.js';
import { type RemoteBackendOptions, normaliseRemoteOptions } from './remote-options.js';

/** Dtypes JSON cannot carry exactly (no JSON form, or integers past 2^53): always binary. */
const BINARY_ONLY = new Set(['float16', 'bfloat16', 'int64', 'uint64']);

/** An output's size from its metadata; undefined when a dim is variable. */
function bytesOf(info: TensorInfo): number | undefined {
  let count = 1;
  for (const dim of info.shape) {
    if (typeof dim !== 'number' || dim < 0) return undefined;
    count *= dim;
  }
  return count * dtypeInfo(info.dtype).bytesPerElement;
}

/** Reads a response the server sent; a malformed one is the server's fault, so ERR_REMOTE. */
function fromServer<T>(url: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new TensorRTNodeError(ErrorCode.REMOTE, `Expected ${what} from ${url} but received one that does not parse`, {
      details: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
}

export class RemoteBackend implements Backend {
  readonly name = 'remote' as const;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  private readonly slots: RequestSlots;
  private readonly outputInfo: Map<string, TensorInfo>;

  private constructor(
    readonly url: ModelUrl,
    readonly metadata: ModelMetadata,
    private readonly client: HttpClient,
    private readonly binaryThreshold: number,
    connections: number,
    maxQueue: number,
  ) {
    this.inputs = metadata.inputs;
    this.outputs = metadata.outputs;
    this.outputInfo = new Map(metadata.outputs.map((info) => [info.name, info]));
    this.slots = new RequestSlots(connections, maxQueue, `the remote model ${url.model}`);
  }

  /** Opens the model at `url` (`http://host:8000/v2/models/{name}[/versions/{v}]`) by reading its metadata. */
  static async create(
    url: string | ModelUrl,
    options: RemoteBackendOptions = {},
    maxQueue = Number.POSITIVE_INFINITY,
  ): Promise<RemoteBackend> {
    const target = typeof url === 'string' ? parseModelUrl(url, 'the remote model URL') : url;
    const resolved = normaliseRemoteOptions(options);
    const client = new HttpClient(target.base, {
      connections: resolved.connections,
      timeoutMs: resolved.timeoutMs === 0 ? undefined : resolved.timeoutMs,
      retry: { retries: resolved.retries, baseDelayMs: resolved.retryDelayMs, maxDelayMs: resolved.maxRetryDelayMs },
      headers: resolved.headers,
      maxResponseBytes: resolved.maxResponseBytes,
    });
    try {
      const response = await client.send('GET', target.modelPath);
      const where = `${target.base}${target.modelPath}`;
      if (response.status !== 200) throw statusError('GET', where, response);
      const metadata = fromServer(where, 'model metadata', () =>
        decodeModelMetadata(JSON.parse(Buffer.from(response.body).toString('utf8'))),
      );
      return new RemoteBackend(target, metadata, client, resolved.binaryThreshold, resolved.connections, maxQueue);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  get concurrency(): number {
    return this.slots.limit;
  }

  get maxQueue(): number {
    return this.slots.maxQueue;
  }

  /** True when GET .../ready answers 200; false for any other answer or none. Not retried: a probe wants now. */
  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      const response = await this.client.send('GET', `${this.url.modelPath}/ready`, { signal, retries: 0 });
      return response.status === 200;
    } catch (error) {
      if (isTensorRTNodeError(error, ErrorCode.ABORTED)) throw error;
      return false;
    }
  }

  async run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    signal?: AbortSignal,
    outputBuffers?: Readonly<Record<string, Tensor>>,
  ): Promise<Record<string, Tensor>> {
    // Encoded (and so copied) before the first await: the caller may reuse its arrays once run() returns.
    const body = this.encode(feeds, outputNames);
    const release = await this.slots.acquire(signal);
    let response: HttpResponse;
    try {
      response = await this.client.send('POST', `${this.url.modelPath}/infer`, { body: body.bytes, headers: body.headers, signal });
    } finally {
      release();
    }
    const where = `${this.url.base}${this.url.modelPath}/infer`;
    if (response.status !== 200) throw statusError('POST', where, response);
    const header = response.headers[HEADER_LENGTH_HEADER];
    const decoded = fromServer(where, 'an inference response', () =>
      decodeInferResponse(decodeMessage(response.body, Array.isArray(header) ? header[0] : header)),
    );
    const results: Record<string, Tensor> = {};
    for (const name of outputNames) {
      const tensor = decoded.outputs[name];
      const info = this.outputInfo.get(name) as TensorInfo;
      if (tensor === undefined || tensor.dtype !== info.dtype) {
        throw new TensorRTNodeError(
          ErrorCode.REMOTE,
          `Expected output "${name}" (${info.dtype}) in the response from ${where} but received ${tensor === undefined ? 'none' : `a ${tensor.dtype} tensor`}`,
        );
      }
      setEntry(results, name, tensor);
    }
    if (outputBuffers === undefined || Object.keys(outputBuffers).length === 0) return results;
    return copyIntoOutputBuffers(results, outputBuffers);
  }

  private encode(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
  ): { bytes: Buffer; headers: Record<string, string> } {
    const inputs: WireTensor[] = this.inputs.map((info) => {
      const tensor = feeds[info.name] as Tensor;
      const binary = tensor.data.byteLength >= this.binaryThreshold || BINARY_ONLY.has(tensor.dtype) || !jsonSafe(tensor);
      return { name: info.name, tensor, binary };
    });
    // An output comes back as JSON only when its metadata says it is small (or binaryThreshold is
    // Infinity: JSON whenever it can); the server sends binary anyway when JSON cannot carry the
    // values (non-finite floats), and the decoder reads either.
    const outputs: OutputRequest[] = outputNames.map((name) => {
      const info = this.outputInfo.get(name) as TensorInfo;
      const size = bytesOf(info) ?? Number.POSITIVE_INFINITY;
      const large = this.binaryThreshold !== Number.POSITIVE_INFINITY && size >= this.binaryThreshold;
      return { name, binary: BINARY_ONLY.has(info.dtype) || large };
    });
    const message = encodeInferRequest({ inputs, outputs });
    return { bytes: Buffer.concat(message.chunks as Uint8Array[], message.byteLength), headers: message.headers };
  }

  dispose(): Promise<void> {
    return this.client.close();
  }
}
