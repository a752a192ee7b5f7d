'use strict';
// The CPU backend's worker thread: owns one ONNX Runtime session so that long inferences run off
// the event loop. Plain CommonJS so the same file runs from the sources (tests) and from dist/.
// Protocol: workerData { ortPath, model, sessionOptions } -> 'ready' | 'load-error';
// { id, feeds, outputs } -> { id, results, staged } | { id, error, staged }; 'close' -> release and exit.
// Feeds marked `staged` arrived in buffers the main thread transferred from its staging pool; they
// go back with the reply (transferred again), so the pool can reuse them.
const { parentPort, workerData } = require('node:worker_threads');

const ort = require(workerData.ortPath);

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
        // onnxruntime-node refuses TypedArrays over a SharedArrayBuffer ("Invalid argument"): a
        // caller's shared-memory input is copied out here, once, off the main thread.
        const data = feed.data.buffer instanceof SharedArrayBuffer ? feed.data.slice() : feed.data;
        ortFeeds[name] = new ort.Tensor(feed.type, data, feed.dims);
      }
      const values = await session.run(ortFeeds, outputs);
      const results = {};
      const transfer = [];
      for (const name of Object.keys(values)) {
        const value = values[name];
        results[name] = { type: value.type, dims: value.dims, data: value.data };
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
