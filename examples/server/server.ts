/**
 * A small HTTP inference server over node:http: one model behind a ModelHandle (dynamic batching,
 * hot swap), Prometheus metrics and a health check.
 *
 *   POST /infer           one item (see protocol.ts); 200 with outputs, 4xx for bad input, 503 when the queue is full
 *   GET  /health          {"status": "ok", "model", "version", "backend"}
 *   GET  /metrics         Prometheus text format (tensorrt_node_* and the process's default metrics)
 *   POST /admin/swap      {"model": "path/to/new.onnx"} (no body: reload the current path); 200 once switched
 *   SIGHUP                reloads the model from its path (installSignalHandlers)
 *
 * and KServe v2 (Triton's HTTP protocol, see kserve.ts): /v2/health/live|ready, /v2, /v2/models/{name}[/ready|/infer].
 *
 * Requests go through a route table: a route is a method, a path pattern and a handler, so each
 * protocol is its own set of routes.
 */
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { type ModelHandle, TensorRTNodeError, ErrorCode } from '../../lib/index.js';
import { decodeInferRequest, encodeInferResponse } from './protocol.js';
import { kserveErrorBody, kserveRoutes } from './kserve.js';

export interface ServerContext {
  handle: ModelHandle;
  /** The model's name in KServe v2 paths (/v2/models/{name}). */
  modelName: string;
  /** Set once close() begins: readiness answers false while requests drain. */
  draining: boolean;
  registry: Registry;
  /** Swaps to `model` (or reloads the current path); failures leave the old model serving. */
  swap(model?: string): Promise<{ version: number }>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the path; named groups become params. */
  path: RegExp;
  /** Which protocol's error body a failure gets: this server's own {"error": {code, message}} or KServe v2's {"error": message}. */
  protocol?: 'kserve';
  /** Hand the body over as bytes (`raw`) instead of parsing it as JSON (`body`). */
  rawBody?: boolean;
  handle(request: ParsedRequest, context: ServerContext): Promise<Reply>;
}

export interface ParsedRequest {
  params: Record<string, string>;
  body: unknown;
  /** The body's bytes (empty unless the route asked for rawBody). */
  raw: Uint8Array;
  headers: IncomingHttpHeaders;
  /** Aborts when the client goes away: queued work for it is dropped. */
  signal: AbortSignal;
}

export interface Reply {
  status: number;
  /** JSON or text; ignored when `chunks` is given. */
  body: unknown;
  /** A binary body's pieces, written in order (with `headers`, which name its content type). */
  chunks?: readonly Uint8Array[];
  contentType?: string;
  headers?: Record<string, string>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** HTTP status for an error a request met. */
export function statusFor(error: unknown): number {
  if (!(error instanceof TensorRTNodeError)) return 500;
  switch (error.code) {
    case ErrorCode.QUEUE_FULL:
    case ErrorCode.DISPOSED:
      return 503;
    case ErrorCode.INVALID_ARGUMENT:
    case ErrorCode.UNKNOWN_TENSOR:
    case ErrorCode.MISSING_INPUT:
    case ErrorCode.SHAPE_MISMATCH:
    case ErrorCode.DTYPE_MISMATCH:
    case ErrorCode.UNSUPPORTED:
      return 400;
    case ErrorCode.MODEL_LOAD:
      return 422;
    case ErrorCode.ABORTED:
      return 499;
    default:
      return 500;
  }
}

const ownRoutes: Route[] = [
  {
    method: 'POST',
    path: /^\/infer$/,
    async handle(request, { handle }) {
      const version = handle.version;
      const feeds = decodeInferRequest(request.body, handle.session.inputs);
      const outputs = await handle.run(feeds, { signal: request.signal });
      return { status: 200, body: encodeInferResponse(outputs, version) };
    },
  },
  {
    method: 'GET',
    path: /^\/health$/,
    async handle(_request, { handle }) {
      return {
        status: 200,
        body: {
          status: 'ok',
          model: typeof handle.source === 'string' ? handle.source : '(bytes)',
          version: handle.version,
          backend: handle.session.backend,
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/metrics$/,
    async handle(_request, { registry }) {
      return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
    },
  },
  {
    method: 'POST',
    path: /^\/admin\/swap$/,
    async handle(request, context) {
      const model = (request.body as { model?: unknown } | undefined)?.model;
      if (model !== undefined && typeof model !== 'string')
        throw new TensorRTNodeError(
          ErrorCode.INVALID_ARGUMENT,
          'Expected {"model": "path"} for POST /admin/swap but received another body',
        );
      return { status: 200, body: await context.swap(model) };
    },
  },
];

/** This server's own routes and KServe v2's. */
export const defaultRoutes: Route[] = [...ownRoutes, ...kserveRoutes];

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes)
      throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a body of at most ${maxBytes} bytes but received more`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, 'Expected a JSON body but received text that is not JSON');
  }
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.writableEnded || response.destroyed) return;
  const chunks = reply.chunks;
  if (chunks !== undefined) {
    const length = chunks.reduce((total, chunk) => total + chunk.byteLength, 0);
    response.writeHead(reply.status, { ...reply.headers, 'content-length': length });
    for (const chunk of chunks) response.write(chunk);
    response.end();
    return;
  }
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'content-type': reply.contentType ?? 'application/json',
    ...reply.headers,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export interface InferenceServerOptions {
  handle: ModelHandle;
  routes?: Route[];
  registry?: Registry;
  /** The model's name in KServe v2 paths; default "model". */
  modelName?: string;
  /** Larger request bodies are refused (400); default 16 MiB. */
  maxBodyBytes?: number;
}

export interface InferenceServer {
  server: Server;
  context: ServerContext;
  close(): Promise<void>;
}

export async function createInferenceServer(options: InferenceServerOptions): Promise<InferenceServer> {
  const { handle } = options;
  // A registry of the application's own already has what it wants; a new one gets the process's metrics.
  const registry = options.registry ?? new Registry();
  if (options.registry === undefined) collectDefaultMetrics({ register: registry });
  await handle.registerMetrics(registry);
  const routes = options.routes ?? defaultRoutes;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const context: ServerContext = {
    handle,
    modelName: options.modelName ?? 'model',
    draining: false,
    registry,
    async swap(model) {
      const target = model ?? handle.source;
      const { version } = await handle.swap(target);
      return { version };
    },
  };
  const server = createServer((request, response) => {
    const controller = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) controller.abort(new Error('the client closed the connection'));
    });
    void (async () => {
      const path = (request.url ?? '/').split('?')[0] as string;
      const route = routes.find((candidate) => candidate.method === request.method && candidate.path.test(path));
      if (route === undefined) {
        send(response, { status: 404, body: { error: { code: 'ERR_NOT_FOUND', message: `No route for ${request.method} ${path}` } } });
        return;
      }
      try {
        const raw = await readBody(request, maxBodyBytes);
        const body = route.rawBody ? undefined : parseJson(raw);
        const params = (route.path.exec(path)?.groups ?? {}) as Record<string, string>;
        send(response, await route.handle({ params, body, raw, headers: request.headers, signal: controller.signal }, context));
      } catch (error) {
        const code = error instanceof TensorRTNodeError ? error.code : 'ERR_INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        send(response, {
          status: statusFor(error),
          body: route.protocol === 'kserve' ? kserveErrorBody(error) : { error: { code, message } },
        });
      }
    })();
  });
  return {
    server,
    context,
    close: () =>
      new Promise<void>((resolve, reject) => {
        context.draining = true;
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** SIGHUP reloads the model from its path; returns the function that removes the handler. */
export function installSignalHandlers(
  server: InferenceServer,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): () => void {
  const onHangup = () => {
    server.context.swap().then(
      ({ version }) => log(`reloaded the model: version ${version} serving`),
      (error: unknown) => log(`reload failed, the old model keeps serving: ${(error as Error).message}`),
    );
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
