// Calls every entry point of a raw addon binding and prints, as JSON, how each one ended.
// Used in child processes: by the sim tests (with simulator knobs in the environment) and by
// the real-build tests. Usage: node entry-points.cjs <path-to-tensorrt_node.node>
'use strict';

class CodedError extends Error {
  constructor(code, message, options = {}) {
    super(message);
    this.code = code;
    this.details = options.details;
  }
}

const binding = require(process.argv[2]);
binding.setErrorClass(CodedError);

const entryPoints = {
  devices: () => binding.devices(),
  memoryInfo: () => binding.memoryInfo(0),
  Stream: () => new binding.Stream(),
  Event: () => new binding.Event(true),
  DeviceBuffer: () => new binding.DeviceBuffer(16),
  PinnedBuffer: () => new binding.PinnedBuffer(16),
};

const outcomes = {};
for (const [name, call] of Object.entries(entryPoints)) {
  try {
    call();
    outcomes[name] = { ok: true };
  } catch (error) {
    outcomes[name] = {
      ok: false,
      isCodedError: error instanceof CodedError,
      code: error.code,
      message: error.message,
      details: error.details,
    };
  }
}
process.stdout.write(JSON.stringify({ cudaInfo: binding.cudaInfo(), tensorrtInfo: binding.tensorrtInfo(), outcomes }));
