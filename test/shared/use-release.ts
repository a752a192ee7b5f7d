// Imported first by tests of the real build: selects it for lib/binding.ts even if the
// environment asks for the simulator.
process.env.TENSORRT_NODE_BINDING = 'release';
