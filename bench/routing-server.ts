/** The remote route of `npm run bench:routing`: a KServe v2 server on loopback, in a process of its own. */
import { InferenceSession } from '../lib/index.js';
import { LoopbackKServeServer } from '../test/fixtures/loopback-kserve.js';
import { servingMlp } from '../test/fixtures/serving-models.js';

const session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
const server = await LoopbackKServeServer.start(session, 'mlp');
process.send?.({ url: server.url });
process.on('disconnect', () => {
  void server.close().then(() => session.dispose());
});
