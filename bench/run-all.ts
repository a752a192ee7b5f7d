/**
 * `npm run bench`: the CPU backend's overhead against raw onnxruntime-node and its effect on the
 * event loop, with the targets set for the package (session.run within 3% of raw ONNX Runtime, event-loop delay p99 <= 5 ms). Benchmarks print; they never fail a build.
 * Run one with `npm run bench -- det|mlp|loop`.
 */
import { compareWithRawOrt } from './compare.js';
import { eventLoopDelay } from './event-loop.js';
import { detModelPath, seededFloats, tinyMlpBytes } from './models.js';
import { type Verdict, verdict } from './stats.js';

const only = new Set(process.argv.slice(2));
const wanted = (name: string) => only.size === 0 || only.has(name);
const verdicts: Verdict[] = [];

if (wanted('det')) {
  const dims = [1, 3, 320, 320];
  const det = await compareWithRawOrt('PP-OCRv4 det 1x3x320x320', detModelPath(), 'x', dims, seededFloats(3 * 320 * 320, 7), {
    blocks: 60,
    blockSize: 3,
    warmupBlocks: 3,
    warmupMs: 2000,
  });
  verdicts.push(verdict('det 320x320 ratio', det.ratio, 1.03, ''));
}
if (wanted('mlp')) {
  const mlp = await compareWithRawOrt('tiny MLP 1x16 -> 4', tinyMlpBytes(), 'x', [1, 16], seededFloats(16, 8), {
    blocks: 400,
    blockSize: 25,
    warmupBlocks: 20,
    warmupMs: 0,
  });
  verdicts.push(verdict('tiny MLP ratio', mlp.ratio, 1.1, ''));
}
if (wanted('loop')) {
  const dims = [1, 3, 640, 640];
  const loop = await eventLoopDelay(detModelPath(), seededFloats(3 * 640 * 640, 9), dims, 25, 3, 3000);
  verdicts.push(verdict('event-loop delay p99, det 640x640', loop.ours.p99Ms, 5, ' ms'));
}

console.log('\n== summary (against the targets)');
for (const v of verdicts) {
  console.log(`   ${v.name.padEnd(36)} ${v.value.toFixed(3)}${v.unit}  target <= ${v.target}${v.unit}  ${v.met ? 'met' : 'MISSED'}`);
}
