/** The remote route of `npm run bench:routing`: the example KServe v2 server on loopback, in a process of its own. */
import { servingMlp } from '../test/fixtures/serving-models.js';
import { startExampleServer } from '../test/shared/kserve-servers.js';

const server = await startExampleServer(servingMlp(), 'mlp', { batcher: false });
process.send?.({ url: server.url });
process.on('disconnect', () => {
  void server.close();
});
