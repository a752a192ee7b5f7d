'use strict';
// The CPU backend's worker thread: owns one ONNX Runtime session so that long inferences run off
// the event loop. Plain CommonJS so the same file runs from the sources (tests) and from dist/.
// Protocol: workerData { ortPath, model, sessionOptions } -> 'ready' | 'load-error';
// { id, feeds, outputs } -> { id, results, staged } | { id, error, staged }; 'close' -> release and exit.
// Feeds marked `staged` arrived in buffers the main thread transferred from its staging pool; they
// go back with the reply (transferred again), so the pool can reuse them.
const { parentPort, workerData } = require('node:worker_threads');

const ort = require(workerData.ortPath);

// Tensor names come from the model and may be "__proto__": set entries as own properties.
function setEntry(record, key, value) {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

function describe(error) {
  return { message: error instanceof Error ? error.message : String(error) };
}

async function main() {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.sessionOptions);
  } catch (error) {
    parentPort.postMessage({ type: 'load-error', error: describe(error) });
    return;
  }
  parentPort.postMessage({ type: 'ready', inputs: session.inputMetadata, outputs: session.outputMetadata });
  parentPort.on('message', async (message) => {
    if (message === 'close') {
      await session.release();
      parentPort.close();
      return;
    }
    const { id, feeds, outputs } = message;
    const staged = [];
    for (const name of Object.keys(feeds)) if (feeds[name].staged) staged.push(feeds[name].data.buffer);
    try {
      const ortFeeds = {};
      for (const name of Object.keys(feeds)) {
        const feed = feeds[name];
        setEntry(ortFeeds, name, new ort.Tensor(feed.type, feed.data, feed.dims));
      }
      const values = await session.run(ortFeeds, outputs);
      const results = {};
      const transfer = [];
      for (const name of Object.keys(values)) {
        const value = values[name];
        setEntry(results, name, { type: value.type, dims: value.dims, data: value.data });
        // ORT gives each output its own ArrayBuffer, so handing it over moves it without a copy.
        if (value.data.byteLength === value.data.buffer.byteLength) transfer.push(value.data.buffer);
      }
      parentPort.postMessage({ id, results, staged }, [...transfer, ...staged]);
    } catch (error) {
      parentPort.postMessage({ id, error: describe(error), staged }, staged);
    }
  });
}

main();
