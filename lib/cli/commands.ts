/**
 * The CLI's commands. Each command lives in its own file and exports a registrar that adds itself
 * to the commander program; to add a command, add its registrar here.
 */
import type { Command } from 'commander';
import { registerInfo } from './info.js';
import { registerInspect } from './inspect.js';
import { registerOptimizeCommand } from './optimize.js';
import { registerRun } from './run.js';

export type CommandRegistrar = (program: Command) => void;

export const commandRegistrars: readonly CommandRegistrar[] = [
  registerInfo,
  registerInspect,
  registerRun,
  // Modes (--fp16, and --int8 once it lands) are passed to registerOptimizeCommand in ./optimize.js.
  (program) => registerOptimizeCommand(program),
];
