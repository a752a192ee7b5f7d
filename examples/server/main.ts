/**
 * Starts the example server: `npm run example:server -- model.onnx [port]` (default port 8080, on
 * 127.0.0.1). In an application, import from 'tensorrt-node' instead of the repository's lib/.
 */
import { ModelHandle } from '../../lib/index.js';
import { createInferenceServer, installSignalHandlers } from './server.js';

const [model, portText] = process.argv.slice(2);
if (!model) {
  process.stderr.write('usage: node main.js <model.onnx|model.plan> [port]\n');
  process.exit(1);
}
const handle = await ModelHandle.open(model, { model: 'model', batcher: { maxBatchSize: 32, maxDelayMs: 2 } });
const server = await createInferenceServer({ handle });
installSignalHandlers(server);
server.server.listen(Number(portText ?? 8080), '127.0.0.1', () => {
  process.stderr.write(`serving ${model} (${handle.session.backend}) on http://127.0.0.1:${Number(portText ?? 8080)}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => handle.dispose());
  });
}
