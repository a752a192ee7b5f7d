// Imported first by every sim test: selects the simulator build for lib/binding.ts. The addon
// is loaded lazily, so this runs before anything loads it.
process.env.TENSORRT_NODE_BINDING = 'sim';
