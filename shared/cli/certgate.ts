#!/usr/bin/env node
/**
 * The `certgate` executable (package.json `bin`; compiled to dist/shared/cli/certgate.js). In
 * development: `npx tsx shared/cli/certgate.ts verify …`. Wires the process's arguments, streams
 * and exit code to `main`; everything else lives in ./certgateCommand.ts.
 * May import: ./certgateCommand.js.
 */
import { main } from './certgateCommand.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
