/** `tensorrt-node info`: versions, which backends can run here (and why not), devices. */
import type { Command } from 'commander';
import { type BackendAvailability, cpuAvailability, tensorrtAvailability } from '../backends/availability.js';
import { type DeviceReport, listDevices } from './devices.js';
import { table, toJson } from './format.js';
import { packageInfo } from './package-info.js';

export interface InfoReport {
  package: { name: string; version: string };
  node: { version: string; platform: string; arch: string; napi: string | undefined };
  backends: { cpu: BackendAvailability; tensorrt: BackendAvailability };
  devices: DeviceReport;
}

export async function gatherInfo(): Promise<InfoReport> {
  return {
    package: packageInfo(),
    node: { version: process.version, platform: process.platform, arch: process.arch, napi: process.versions.napi },
    backends: { cpu: cpuAvailability(), tensorrt: tensorrtAvailability() },
    devices: await listDevices(),
  };
}

function availabilityRow(name: string, availability: BackendAvailability, provider: string): string[] {
  return availability.available
    ? [name, 'available', `${provider}${availability.version ? ` ${availability.version}` : ''}`]
    : [name, 'unavailable', availability.reason ?? 'no reason given'];
}

export function formatInfo(report: InfoReport): string {
  const lines = [
    `${report.package.name} ${report.package.version}`,
    `node ${report.node.version} (${report.node.platform} ${report.node.arch}, N-API ${report.node.napi ?? 'unknown'})`,
    '',
    'backends:',
    table([availabilityRow('cpu', report.backends.cpu, 'onnxruntime-node'), availabilityRow('tensorrt', report.backends.tensorrt, 'TensorRT')]),
    '',
    'devices:',
  ];
  if (report.devices.devices.length > 0) {
    lines.push(
      table(
        report.devices.devices.map((device) => [
          `${device.index}`,
          device.name,
          device.computeCapability ? `compute ${device.computeCapability}` : '',
          device.totalMemoryBytes !== undefined ? `${(device.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB` : '',
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
    .description('show versions, which backends can run here (and why not), and devices')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await gatherInfo();
      process.stdout.write(`${options.json ? toJson(report) : formatInfo(report)}\n`);
    });
}
