/** `tensorrt-node inspect <model.onnx>`: what a model is made of, without running it. */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { loadModel } from '../onnx/index.js';
import { formatShape } from '../tensor.js';
import { formatBytes, formatCount, table, toJson } from './format.js';
import { type ModelSummary, type ValueSummary, summarizeModel } from './model-summary.js';

export interface InspectReport extends ModelSummary {
  file: string;
  sizeBytes: number;
}

export async function inspectModel(path: string): Promise<InspectReport> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected a readable ONNX model file at ${path} but ${error.code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${error.code})`}`,
      { cause: error },
    );
  });
  if (!info.isFile())
    throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Expected an ONNX model file at ${path} but it is not a regular file`);
  const model = await loadModel(path);
  return { file: path, sizeBytes: info.size, ...summarizeModel(model) };
}

function valueRows(values: readonly ValueSummary[]): string[][] {
  return values.map((value) => [value.name, value.dtype, value.shape === null ? 'shape unknown' : formatShape(value.shape)]);
}

export function formatInspect(report: InspectReport): string {
  const producer = [report.producer.name, report.producer.version].filter(Boolean).join(' ') || 'unknown';
  const byDtype = Object.entries(report.parameters.byDtype)
    .map(([dtype, count]) => `${dtype} ${formatCount(count)}`)
    .join(', ');
  const lines = [
    `model       ${report.file}`,
    `size        ${formatBytes(report.sizeBytes)} (${formatCount(report.sizeBytes)} bytes)`,
    `format      ONNX IR version ${report.irVersion}, producer ${producer}`,
    `opsets      ${report.opsets.map((opset) => `${opset.domain} ${opset.version}`).join(', ') || 'none'}`,
    `parameters  ${formatCount(report.parameters.count)} in ${report.parameters.tensors} constant tensors, ${formatBytes(report.parameters.bytes)}${byDtype ? ` (${byDtype})` : ''}`,
    `nodes       ${formatCount(report.nodeCount)}${report.subgraphCount > 0 ? ` (including ${report.subgraphCount} subgraphs)` : ''}`,
    '',
    `inputs (${report.inputs.length}):`,
    table(valueRows(report.inputs)),
    `outputs (${report.outputs.length}):`,
    table(valueRows(report.outputs)),
    '',
    'op histogram:',
    table(Object.entries(report.opHistogram).map(([op, count]) => [String(count).padStart(6), op])),
  ];
  return lines.join('\n');
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      "show an ONNX model's inputs, outputs, opsets, op histogram, parameter count and size, or a TensorRT engine's I/O, profiles and memory",
    )
    .argument('<model>', 'path of an .onnx file or a .plan/.engine file')
    .option('--json', 'print the report as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      if (/\.(plan|engine|trt)$/i.test(model)) {
        // TensorRT engines are described by the engine itself (needs the tensorrt backend).
        const { Engine } = await import('../tensorrt/engine.js');
        const engine = await Engine.load(model);
        try {
          const { inputs, outputs, profiles, deviceMemorySize, deviceMemorySizePerProfile, tensorrtVersion, layers, name } = engine;
          // The simulator records the options it was built with in the plan (real plans do not say).
          const testing = (await import('../binding.js')).requireBinding().testing;
          const simulatorBuild =
            testing === undefined ? undefined : (JSON.parse(testing.describeSimPlan(new Uint8Array(await readFile(model)))) as unknown);
          const text = `${engine.inspect()}${simulatorBuild === undefined ? '' : `\nsimulator build record: ${JSON.stringify(simulatorBuild)}`}`;
          const json = {
            file: model,
            name,
            tensorrtVersion,
            layers,
            deviceMemorySize,
            deviceMemorySizePerProfile,
            inputs,
            outputs,
            profiles,
            ...(simulatorBuild === undefined ? {} : { simulatorBuild }),
          };
          process.stdout.write(`${options.json ? toJson(json) : text}\n`);
        } finally {
          engine.dispose();
        }
        return;
      }
      const report = await inspectModel(model);
      process.stdout.write(`${options.json ? toJson(report) : formatInspect(report)}\n`);
    });
}
