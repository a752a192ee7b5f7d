/**
 * Starts the example server: `npm run example:server -- model.onnx [port] [name]` (default port 8080,
 * on 127.0.0.1; `name` is the model's name in KServe v2 paths, default "model"). In an application,
 * import from 'tensorrt-node' instead of the repository's lib/.
 */
import { ModelHandle } from '../../lib/index.js';
import { createInferenceServer, installSignalHandlers } from './server.js';

const [model, portText, name = 'model'] = process.argv.slice(2);
if (!model) {
  process.stderr.write('usage: node main.js <model.onnx|model.plan> [port] [name]\n');
  process.exit(1);
}
const handle = await ModelHandle.open(model, { model: name, batcher: { maxBatchSize: 32, maxDelayMs: 2 } });
const server = await createInferenceServer({ handle, modelName: name });
installSignalHandlers(server);
server.server.listen(Number(portText ?? 8080), '127.0.0.1', () => {
  process.stderr.write(
    `serving ${model} (${handle.session.backend}) on http://127.0.0.1:${Number(portText ?? 8080)}, KServe v2 at /v2/models/${name}\n`,
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => handle.dispose());
  });
}
