#!/usr/bin/env node
// The `forecaster` command. Runs the TypeScript sources through tsx, so a
// checkout needs no build step and tests run exactly the code users run.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
await runCli(process.argv.slice(2));
