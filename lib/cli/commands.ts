/**
 * The CLI's commands. Each command lives in its own file and exports a registrar that adds itself
 * to the commander program; to add a command, add its registrar here.
 */
import type { Command } from 'commander';
import { registerBatch } from './batch.js';
import { registerBench } from './bench.js';
import { registerBuild } from './build.js';
import { registerCache } from './cache.js';
import { registerExport } from './export.js';
import { registerInfo } from './info.js';
import { registerInspect } from './inspect.js';
import { fp16Mode, registerOptimizeCommand } from './optimize.js';
import { int8Mode } from './optimize-int8.js';
import { pruneMode } from './optimize-prune.js';
import { registerRun } from './run.js';

export type CommandRegistrar = (program: Command) => void;

export const commandRegistrars: readonly CommandRegistrar[] = [
  registerInfo,
  registerInspect,
  registerRun,
  registerBatch,
  registerBench,
  registerBuild,
  registerCache,
  registerExport,
  // The optimize command's modes: --fp16 (./optimize.js) and --int8 (./optimize-int8.js).
  (program) => registerOptimizeCommand(program, [fp16Mode, int8Mode, pruneMode]),
];
