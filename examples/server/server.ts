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
 * Requests go through a route table: a route is a method, a path pattern and a handler, so other
 * protocols (KServe v2's /v2/models/{name}/infer, /v2/health/ready, ...) are added as more routes
 * without touching these ones.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { type ModelHandle, TensorRTNodeError, ErrorCode } from '../../lib/index.js';
import { decodeInferRequest, encodeInferResponse } from './protocol.js';

export interface ServerContext {
  handle: ModelHandle;
  registry: Registry;
  /** Swaps to `model` (or reloads the current path); failures leave the old model serving. */
  swap(model?: string): Promise<{ version: number }>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the path; named groups become params. */
  path: RegExp;
  handle(request: ParsedRequest, context: ServerContext): Promise<Reply>;
}

export interface ParsedRequest {
  params: Record<string, string>;
  body: unknown;
  /** Aborts when the client goes away: queued work for it is dropped. */
  signal: AbortSignal;
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
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
      return 400;
    case ErrorCode.MODEL_LOAD:
      return 422;
    case ErrorCode.ABORTED:
      return 499;
    default:
      return 500;
  }
}

export const defaultRoutes: Route[] = [
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

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a body of at most ${MAX_BODY_BYTES} bytes but received more`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, 'Expected a JSON body but received text that is not JSON');
  }
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.writableEnded || response.destroyed) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  response.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export interface InferenceServerOptions {
  handle: ModelHandle;
  routes?: Route[];
  registry?: Registry;
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
  const context: ServerContext = {
    handle,
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
        const body = await readBody(request);
        const params = (route.path.exec(path)?.groups ?? {}) as Record<string, string>;
        send(response, await route.handle({ params, body, signal: controller.signal }, context));
      } catch (error) {
        const code = error instanceof TensorRTNodeError ? error.code : 'ERR_INTERNAL';
        send(response, {
          status: statusFor(error),
          body: { error: { code, message: error instanceof Error ? error.message : String(error) } },
        });
      }
    })();
  });
  return {
    server,
    context,
    close: () =>
      new Promise<void>((resolve, reject) => {
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
