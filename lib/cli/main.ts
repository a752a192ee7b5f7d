#!/usr/bin/env node
/** The `tensorrt-node` command line (package.json "bin"). */
import { main } from './program.js';

process.exitCode = await main();
