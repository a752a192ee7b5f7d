/**
 * What one-shot 2:4 pruning (no retraining) costs the PP-OCR models, on held-out inputs unlike the
 * renderings the sensitivity analysis sees (test/data/ocr-unlike-inputs.ts): cls top-1 and rec text
 * accuracy against ground truth, rec string agreement with FP32, det binarized-map IoU with FP32, and
 * the sparsity reached, for several numbers of layers left dense by the sensitivity analysis.
 *
 *   npm run bench:prune -- [--keep-dense 0,8,16] [--samples 4] [--cls 64] [--rec 64] [--det 8] [--det-size 320] [--only cls,rec,det]
 */
import { parseArgs } from 'node:util';
import { encodeModel, loadModel } from '../lib/onnx/model-io.js';
import { OrtRunner } from '../lib/optimize/ort-runner.js';
import { pruneStructured } from '../lib/optimize/prune.js';
import { compareModels } from '../lib/optimize/report.js';
import { readCtcKeys } from '../lib/optimize/task-accuracy.js';
import { type OcrModelKind, ocrFeeds } from '../test/data/ocr-inputs.js';
import { binaryMapIoU, ctcDecode } from '../test/data/ocr-metrics.js';
import { unlikeOcrSamples } from '../test/data/ocr-unlike-inputs.js';
import { realModels } from '../test/fixtures/real-models.js';

const { values: args } = parseArgs({
  options: {
    'keep-dense': { type: 'string', default: '0,8,16' },
    samples: { type: 'string', default: '4' },
    cls: { type: 'string', default: '64' },
    rec: { type: 'string', default: '64' },
    det: { type: 'string', default: '8' },
    'det-size': { type: 'string', default: '320' },
    only: { type: 'string', default: 'cls,rec,det' },
  },
});

const paths: Record<OcrModelKind, string> = { det: realModels.ocrDet, rec: realModels.ocrRec, cls: realModels.ocrCls };
const keys = await readCtcKeys(realModels.ocrKeys);
const detSize = { width: Number(args['det-size']), height: Number(args['det-size']) };

async function main(): Promise<void> {
  for (const kind of args.only!.split(',') as OcrModelKind[]) {
    const path = paths[kind];
    const sensitivity = await ocrFeeds(kind, { split: 'calibration', count: Number(args.samples), detSize });
    const { feeds, labels } = await unlikeOcrSamples(kind, { count: Number(args[kind]), detSize });
    const original = encodeModel(await loadModel(path, { externalData: 'inline' }));
    console.log(`${kind}: ${feeds.length} held-out samples unlike the ${sensitivity.length} sensitivity samples`);
    for (const keep of args['keep-dense']!.split(',').map(Number)) {
      const started = performance.now();
      const { model, report } = await pruneStructured(path, {
        keepDenseLayers: keep,
        samples: sensitivity,
        sensitivitySamples: sensitivity.length,
      });
      const seconds = (performance.now() - started) / 1000;
      const quality = await compareModels(original, model, {
        feeds,
        latencyRounds: 0,
        ...(kind === 'det' ? {} : { task: { labels, ...(kind === 'rec' ? { keys } : {}) } }),
      });
      let metric = '';
      if (kind === 'det' || kind === 'rec') {
        const a = await OrtRunner.create(original);
        const b = await OrtRunner.create(model);
        let total = 0;
        for (const feed of feeds) {
          const [x] = Object.values(await a.run(feed));
          const [y] = Object.values(await b.run(feed));
          total += kind === 'det' ? binaryMapIoU(x, y, 0.3) : ctcDecode(x) === ctcDecode(y) ? 1 : 0;
        }
        await Promise.all([a.dispose(), b.dispose()]);
        metric =
          kind === 'det'
            ? `IoU vs FP32 ${(total / feeds.length).toFixed(3)}`
            : `string agreement with FP32 ${(total / feeds.length).toFixed(3)}`;
      }
      const task = quality.task
        ? `${quality.task.kind} accuracy FP32 ${quality.task.original.toFixed(3)} pruned ${quality.task.optimized.toFixed(3)}`
        : '';
      const output = quality.outputs[0];
      console.log(
        `  keep dense ${String(keep).padEnd(3)} pruned ${report.prunedLayers.length}/${report.weightedLayers} layers, sparsity ${(report.sparsity * 100).toFixed(1)}% | cosine mean ${output.cosine.mean.toFixed(4)} | ${[task, metric].filter(Boolean).join(' | ')} | skipped ${report.skipped.length} | ${seconds.toFixed(0)} s`,
      );
    }
  }
}

await main();
