/**
 * Servers on 127.0.0.1 for the tests of the remote backend and of remote routes, over real HTTP: the
 * example server running a real model through ONNX Runtime, and a proxy in front of it that fails the
 * way networks and overloaded servers fail (503, 429, reset connections, silence, not ready) before it
 * forwards.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';

import { type InferenceServer, createInferenceServer } from '../../examples/server/server.js';
import { ModelHandle, type ModelHandleOptions } from '../../lib/index.js';

export interface RunningExampleServer {
  readonly base: string;
  /** The model's KServe v2 address. */
  readonly url: string;
  readonly handle: ModelHandle;
  readonly server: InferenceServer;
  /** TCP connections the server has accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function startExampleServer(
  model: string | Uint8Array,
  modelName: string,
  options: ModelHandleOptions = {},
): Promise<RunningExampleServer> {
  const handle = await ModelHandle.open(model, { model: modelName, session: { backend: 'cpu' }, ...options });
  const server = await createInferenceServer({ handle, modelName });
  let connections = 0;
  server.server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return {
    base,
    url: `${base}/v2/models/${modelName}`,
    handle,
    server,
    connections: () => connections,
    async close() {
      server.server.closeAllConnections();
      await server.close();
      await handle.dispose();
    },
  };
}

/** What the proxy does with one request: forward it, or answer it itself (and then return 'handled'). */
export type ProxyPlan = (request: IncomingMessage, response: ServerResponse, index: number) => 'forward' | 'handled';

export interface FlakyProxy {
  readonly base: string;
  /** Inference requests (POST .../infer) that reached the proxy. */
  readonly inferRequests: () => number;
  /** Readiness requests (GET .../ready) that reached the proxy. */
  readonly readyRequests: () => number;
  /** While false, the proxy answers readiness requests itself with 400, as the example server does while not ready. */
  ready: boolean;
  /** Resolves when the proxy has received `count` inference requests. */
  inferArrived(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A proxy to `target`: metadata and readiness requests pass through (readiness while `ready` is true); inference request number
 * `index` (0-based) goes to `plan`, which may answer it itself, leave it unanswered, or forward it.
 */
export async function startFlakyProxy(target: string, plan: ProxyPlan): Promise<FlakyProxy> {
  let infers = 0;
  let readies = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const forward = async (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming as AsyncIterable<Buffer>) chunks.push(chunk);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
    }
    const answer = await request(`${target}${incoming.url}`, {
      method: incoming.method as 'GET' | 'POST',
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await answer.body.arrayBuffer());
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (typeof value === 'string' && !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(name))
        out[name] = value;
    }
    response.writeHead(answer.statusCode, { ...out, 'content-length': body.length });
    response.end(body);
  };
  const server: Server = createServer((incoming, response) => {
    const isInfer = incoming.method === 'POST' && (incoming.url ?? '').endsWith('/infer');
    if (isInfer) {
      const index = infers++;
      for (const waiter of waiters.filter((candidate) => candidate.count <= infers)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (plan(incoming, response, index) === 'handled') return;
    }
    if (incoming.method === 'GET' && (incoming.url ?? '').endsWith('/ready')) {
      readies++;
      if (!proxy.ready) {
        response.writeHead(400, { 'content-length': 0 });
        response.end();
        return;
      }
    }
    forward(incoming, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: FlakyProxy = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inferRequests: () => infers,
    readyRequests: () => readies,
    ready: true,
    inferArrived: (count) => (infers >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** A loopback port with nothing listening on it (a server bound it, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
