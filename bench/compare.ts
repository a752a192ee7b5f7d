/**
 * session.run against raw onnxruntime-node on the same model and the same input, interleaved in one
 * process: blocks of runs of each alternate (which goes first alternates too), so drift in machine
 * load hits both alike.
 *
 * Why blocks rather than strict one-one alternation: each ORT session has its own intra-op thread
 * pool, whose threads spin for a while after a run. A run that follows a run of the *other* session
 * has to wake its own pool while the other's still spins: measured here on a 30 us MLP, 50 us
 * instead of 20 us, for raw ORT as much as for us. Strict alternation measures that handover, not
 * the wrapper; within a block each session runs as it would in an application, and the first run
 * of each block (the handover) is left out.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { InferenceSession, type SessionOptions, Tensor } from '../lib/index.js';
import { collectGarbage, formatMs, median } from './stats.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;

export interface CompareOptions {
  /** Blocks of each side. */
  blocks: number;
  /** Runs per block; the first of each block is not counted when blockSize > 1. */
  blockSize: number;
  /** Warm-up: at least this many blocks and this many milliseconds (lets runOn 'auto' settle). */
  warmupBlocks: number;
  warmupMs: number;
  session?: SessionOptions;
}

export interface Comparison {
  label: string;
  oursMedianMs: number;
  rawMedianMs: number;
  /** Median over blocks of (our block median / raw block median). */
  ratio: number;
}

export async function compareWithRawOrt(
  label: string,
  model: string | Uint8Array,
  inputName: string,
  dims: number[],
  data: Float32Array,
  options: CompareOptions,
): Promise<Comparison> {
  const session = await InferenceSession.create(model, { backend: 'cpu', ...options.session });
  const rawOptions: Ort.InferenceSession.SessionOptions = {};
  if (options.session?.threads?.intraOp !== undefined) rawOptions.intraOpNumThreads = options.session.threads.intraOp;
  const raw = await ort.InferenceSession.create(model as string, rawOptions);
  try {
    const ours = { [inputName]: new Tensor('float32', data, dims) };
    const theirs = { [inputName]: new ort.Tensor('float32', data, dims) };
    const skip = options.blockSize > 1 ? 1 : 0;
    const block = async (run: () => Promise<unknown>): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < options.blockSize; i++) {
        const started = performance.now();
        await run();
        if (i >= skip) samples.push(performance.now() - started);
      }
      return samples;
    };
    const runOurs = () => session.run(ours);
    const runRaw = () => raw.run(theirs);

    // Warm-up also lets runOn 'auto' settle: a slow model moves to its worker thread here, which
    // takes the worker's own model load (a second or so on a busy machine), so warm up by time too.
    const warmupEnds = performance.now() + options.warmupMs;
    for (let i = 0; i < options.warmupBlocks || performance.now() < warmupEnds; i++) {
      await block(runOurs);
      await block(runRaw);
    }
    collectGarbage();
    const oursAll: number[] = [];
    const rawAll: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < options.blocks; i++) {
      let oursBlock: number[];
      let rawBlock: number[];
      if (i % 2 === 0) {
        oursBlock = await block(runOurs);
        rawBlock = await block(runRaw);
      } else {
        rawBlock = await block(runRaw);
        oursBlock = await block(runOurs);
      }
      oursAll.push(...oursBlock);
      rawAll.push(...rawBlock);
      ratios.push(median(oursBlock) / median(rawBlock));
    }
    const result = { label, oursMedianMs: median(oursAll), rawMedianMs: median(rawAll), ratio: median(ratios) };
    const counted = options.blockSize - skip;
    console.log(
      `== ${label}: session.run vs raw onnxruntime-node, ${options.blocks} blocks of ${options.blockSize} runs each (${counted} counted), interleaved`,
    );
    console.log(`   session.run  median ${formatMs(result.oursMedianMs)}`);
    console.log(`   raw ORT      median ${formatMs(result.rawMedianMs)}`);
    console.log(`   overhead     ${formatMs(result.oursMedianMs - result.rawMedianMs)} per call (difference of medians)`);
    console.log(
      `   ratio        ${result.ratio.toFixed(3)} (median over blocks of the blocks' median ratio; ratio of overall medians ${(result.oursMedianMs / result.rawMedianMs).toFixed(3)})`,
    );
    return result;
  } finally {
    await session.dispose();
    await raw.release();
  }
}
