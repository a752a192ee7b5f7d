/**
 * session.run against raw onnxruntime-node on the same model and the same input, interleaved in one
 * process: each round runs both, in alternating order, so drift in machine load hits both alike.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { InferenceSession, type SessionOptions, Tensor } from '../lib/index.js';
import { formatMs, median, collectGarbage } from './stats.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;

export interface Comparison {
  label: string;
  rounds: number;
  oursMedianMs: number;
  rawMedianMs: number;
  ratio: number;
}

export async function compareWithRawOrt(label: string, model: string | Uint8Array, inputName: string, dims: number[], data: Float32Array, rounds: number, warmup: number, warmupMs: number, options: SessionOptions = {}): Promise<Comparison> {
  const session = await InferenceSession.create(model, { backend: 'cpu', ...options });
  const raw = await ort.InferenceSession.create(model as string);
  try {
    const ours = { [inputName]: new Tensor('float32', data, dims) };
    const theirs = { [inputName]: new ort.Tensor('float32', data, dims) };
    const runOurs = async () => {
      const started = performance.now();
      await session.run(ours);
      return performance.now() - started;
    };
    const runRaw = async () => {
      const started = performance.now();
      await raw.run(theirs);
      return performance.now() - started;
    };
    // Warm-up also lets runOn 'auto' settle: a slow model moves to its worker thread here, which
    // takes the worker's own model load (a second or so on a busy machine), so warm up by time too.
    const warmupEnds = performance.now() + warmupMs;
    for (let i = 0; i < warmup || performance.now() < warmupEnds; i++) {
      await runOurs();
      await runRaw();
    }
    collectGarbage();
    const oursMs: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        oursMs.push(await runOurs());
        rawMs.push(await runRaw());
      } else {
        rawMs.push(await runRaw());
        oursMs.push(await runOurs());
      }
    }
    // The ratio is the median of the per-round ratios: each round's pair ran back to back, under the
    // same machine load, so pairing cancels drift that a ratio of two medians would keep.
    const pairedRatio = median(oursMs.map((ms, i) => ms / rawMs[i]));
    const result = { label, rounds, oursMedianMs: median(oursMs), rawMedianMs: median(rawMs), ratio: pairedRatio };
    console.log(`== ${label}: session.run vs raw onnxruntime-node, ${rounds} interleaved rounds`);
    console.log(`   session.run  median ${formatMs(result.oursMedianMs)}`);
    console.log(`   raw ORT      median ${formatMs(result.rawMedianMs)}`);
    console.log(`   overhead     ${formatMs(result.oursMedianMs - result.rawMedianMs)} per call (difference of medians)`);
    console.log(`   ratio        ${result.ratio.toFixed(3)} (median of per-round ratios; ratio of medians ${(result.oursMedianMs / result.rawMedianMs).toFixed(3)})`);
    return result;
  } finally {
    await session.dispose();
    await raw.release();
  }
}
