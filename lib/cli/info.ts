/** `tensorrt-node info`: versions, which backends can run here (and why not), CUDA and its devices. */
import type { Command } from 'commander';
import { type BackendAvailability, type BackendsReport, backends } from '../backends/availability.js';
import type { LibraryInfo } from '../tensorrt/info.js';
import { type DeviceReport, listDevices } from './devices.js';
import { table, toJson } from './format.js';
import { packageInfo } from '../util/package-info.js';

export interface InfoReport {
  package: { name: string; version: string };
  node: { version: string; platform: string; arch: string; napi: string | undefined };
  backends: { cpu: BackendAvailability; tensorrt: BackendsReport['tensorrt'] };
  cuda: Omit<BackendsReport['cuda'], 'devices'>;
  devices: DeviceReport;
}

export async function gatherInfo(): Promise<InfoReport> {
  const report = await backends();
  const { devices: _devices, ...cuda } = report.cuda;
  return {
    package: packageInfo(),
    node: { version: process.version, platform: process.platform, arch: process.arch, napi: process.versions.napi },
    backends: { cpu: report.cpu, tensorrt: report.tensorrt },
    cuda,
    devices: listDevices(report.cuda),
  };
}

function availabilityRow(name: string, availability: BackendAvailability, provider: string): string[] {
  return availability.available
    ? [name, 'available', `${provider}${availability.version ? ` ${availability.version}` : ''}`]
    : [name, 'unavailable', availability.reason ?? 'no reason given'];
}

function cudaLine(cuda: InfoReport['cuda']): string {
  const versions = [cuda.runtimeVersion && `runtime ${cuda.runtimeVersion}`, cuda.driverVersion && `driver supports ${cuda.driverVersion}`]
    .filter(Boolean)
    .join(', ');
  const simulator = cuda.simulator ? ' (simulator build: no GPU involved)' : '';
  return cuda.available
    ? `  ${versions || 'available'}${simulator}`
    : `  unavailable: ${cuda.reason ?? 'no reason given'}${versions ? ` (${versions})` : ''}${simulator}`;
}

function libraryRow(name: string, library: LibraryInfo, where = ''): string[] {
  if (!library.available) return [name, 'unavailable', library.reason ?? 'no reason given'];
  return [name, 'available', [library.version, library.library].filter(Boolean).join('  ') || where];
}

/** The parts of TensorRT that were found (once libnvinfer itself was: otherwise the tensorrt row says why). */
function tensorrtLines(tensorrt: BackendsReport['tensorrt']): string[] {
  const { library } = tensorrt;
  if (!library.available) return [];
  return [
    'tensorrt libraries:',
    table([
      libraryRow('runtime', library),
      libraryRow('builder', library.builder, 'in the runtime library'),
      libraryRow('onnx parser', library.parser),
      libraryRow('plugins', library.plugins),
    ]),
    '',
  ];
}

export function formatInfo(report: InfoReport): string {
  const lines = [
    `${report.package.name} ${report.package.version}`,
    `node ${report.node.version} (${report.node.platform} ${report.node.arch}, N-API ${report.node.napi ?? 'unknown'})`,
    '',
    'backends:',
    table([
      availabilityRow('cpu', report.backends.cpu, 'onnxruntime-node'),
      availabilityRow('tensorrt', report.backends.tensorrt, 'TensorRT'),
    ]),
    '',
    ...tensorrtLines(report.backends.tensorrt),
    'cuda:',
    cudaLine(report.cuda),
    '',
    'devices:',
  ];
  if (report.devices.devices.length > 0) {
    lines.push(
      table(
        report.devices.devices.map((device) => [
          `${device.index}`,
          device.name,
          `compute ${device.computeCapability}`,
          `${device.multiProcessorCount} SMs`,
          `${(device.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB`,
        ]),
      ),
    );
  } else {
    lines.push(`  none${report.devices.reason ? ` (${report.devices.reason})` : ''}`);
  }
  return lines.join('\n');
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show versions, which backends can run here (and why not), CUDA and its devices')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await gatherInfo();
      process.stdout.write(`${options.json ? toJson(report) : formatInfo(report)}\n`);
    });
}
