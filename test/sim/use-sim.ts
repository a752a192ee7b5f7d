// Imported first by every sim test: selects the simulator build for lib/binding.ts. The addon
// is loaded lazily, so this runs before anything loads it.
process.env.TENSORRT_NODE_BINDING = 'sim';

// Sessions over ONNX models build engines into the engine cache: keep each test process's cache
// in a folder of its own, never the user's.
if (process.env.TENSORRT_NODE_CACHE_DIR === undefined) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'trtn-engine-cache-'));
  process.env.TENSORRT_NODE_CACHE_DIR = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
